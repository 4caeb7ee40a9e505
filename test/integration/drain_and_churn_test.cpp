// F12 and F13: SIGTERM with hundreds of live sessions; thousands of connections ending
// every way. Nothing lost, nothing leaked, every connection accounted for once.
#include <csignal>
#include <optional>

#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/test/unit_test.hpp>

#include "closenotify/tls_context.hpp"
#include "server_process.hpp"
#include "tls_peer.hpp"

using namespace closenotify;
using namespace closenotify::test;
using namespace asio::experimental::awaitable_operators;

namespace {
// A counter a coroutine can wait on (the timer is only an event: it never expires).
struct countdown {
  explicit countdown(asio::io_context& ioc, std::size_t n) : remaining(n), event(ioc) {}
  void done() {
    if (--remaining == 0) event.cancel();
  }
  asio::awaitable<void> wait() {
    while (remaining > 0) {
      event.expires_at(std::chrono::steady_clock::time_point::max());
      co_await event.async_wait(use_nothrow);
    }
  }
  std::size_t remaining;
  asio::steady_timer event;
};

constexpr std::string_view bye_shutting_down = "BYE shutting-down\n";
}  // namespace

BOOST_AUTO_TEST_SUITE(F12_sigterm_drain)

BOOST_AUTO_TEST_CASE(sigterm_drains_200_sessions_delivering_every_byte_and_close_notify) {
  constexpr std::size_t line_peers = 150, raw_peers = 50;
  // The peers' own FIN can come seconds after the server's close_notify on a loaded machine
  // (200 peers on one sanitized thread): a linger long enough for it keeps every ending a FIN,
  // never a reset of what the raw peers were still sending.
  server_process server({"--drain-timeout", "30s", "--linger-timeout", "20s"});
  asio::io_context ioc;
  auto line_ctx = client_context(server.cert_path(), {"closenotify/1"});
  auto raw_ctx = client_context(server.cert_path());
  countdown ready(ioc, line_peers + raw_peers);
  countdown finished(ioc, line_peers + raw_peers);
  std::uint64_t received_total = 0;
  std::size_t clean_endings = 0;

  auto line_peer = [&]() -> asio::awaitable<void> {
    auto s = co_await tls_connect(server.port(), line_ctx);
    co_await write_all(s, "/ping\n");
    std::string pending;
    BOOST_TEST(co_await read_line(s, pending) == "PONG");
    received_total += 5;
    ready.done();
    // Idle until the drain: the server owes us a BYE and its close_notify.
    auto [rest, end] = co_await read_to_end(s, pending);
    BOOST_TEST(rest == bye_shutting_down);
    received_total += rest.size();
    if (end == asio::error::eof) ++clean_endings;
    co_await s.async_shutdown(use_nothrow);
    finished.done();
  };

  auto raw_peer = [&](std::uint64_t seed) -> asio::awaitable<void> {
    auto s = co_await tls_connect(server.port(), raw_ctx);
    bool reading_done = false;
    auto writer = [&]() -> asio::awaitable<void> {
      std::uint64_t state = seed;
      std::string chunk(16 * 1024, '\0');
      while (!reading_done) {
        fill_random(state, chunk);
        auto [ec, n] = co_await asio::async_write(s, asio::buffer(chunk), use_nothrow);
        if (ec) co_return;
      }
    };
    // The echo must be exactly a prefix of what we sent, ended by close_notify.
    auto reader = [&]() -> asio::awaitable<void> {
      std::uint64_t expect_state = seed;
      std::string expected(16 * 1024, '\0'), buf(16 * 1024, '\0');
      std::size_t expected_at = expected.size();
      std::uint64_t got = 0;
      bool signalled = false;
      error_code end;
      for (;;) {
        auto [ec, n] = co_await s.async_read_some(asio::buffer(buf), use_nothrow);
        for (std::size_t i = 0; i < n; ++i) {
          if (expected_at == expected.size()) {
            fill_random(expect_state, expected);
            expected_at = 0;
          }
          BOOST_REQUIRE(buf[i] == expected[expected_at++]);
        }
        got += n;
        if (!signalled && got >= 64 * 1024) {
          signalled = true;
          ready.done();  // mid-transfer now
        }
        if (ec) {
          end = ec;
          break;
        }
      }
      reading_done = true;
      received_total += got;
      BOOST_TEST((end == asio::error::eof), "raw peer ended with " << end.message());
      if (end == asio::error::eof) ++clean_endings;
      // Ends our writer; the server sees FIN. Not a failure if the server has already gone.
      error_code ignored;
      s.next_layer().shutdown(tcp::socket::shutdown_send, ignored);
    };
    co_await (reader() && writer());
    finished.done();
  };

  run(ioc, [&]() -> asio::awaitable<void> {
    // A peer that throws fails the test at once (run() rethrows), instead of never finishing.
    const auto rethrow = [](std::exception_ptr e) {
      if (e) std::rethrow_exception(e);
    };
    for (std::size_t i = 0; i < line_peers; ++i) asio::co_spawn(ioc, line_peer(), rethrow);
    for (std::size_t i = 0; i < raw_peers; ++i) asio::co_spawn(ioc, raw_peer(0x9E3779B9u + i), rethrow);
    co_await ready.wait();
    server.signal(SIGTERM);
    co_await finished.wait();
  }, 180s);

  BOOST_TEST(clean_endings == line_peers + raw_peers);
  BOOST_TEST(server.wait_exit(60s) == 0);
  const auto summary = server.summary();
  BOOST_TEST(event_string(summary, "drain") == "complete");
  BOOST_TEST(event_number(summary, "accepted") == line_peers + raw_peers);
  BOOST_TEST(event_number(summary, "server_shutdown") == line_peers + raw_peers);
  // Every byte the server sent arrived; and every byte it read from a raw peer it echoed:
  // what went out is what came in plus one PONG and one BYE per line peer.
  BOOST_TEST(event_number(summary, "bytes_out") == received_total);
  BOOST_TEST(event_number(summary, "bytes_out") ==
             event_number(summary, "bytes_in") - line_peers * 6 + line_peers * (5 + bye_shutting_down.size()));
}

namespace {
// A line session mid-/bulk whose peer has stopped reading: it can neither deliver nor close.
std::optional<tls_stream> stuck_session(server_process& server, asio::io_context& ioc, ssl::context& ctx) {
  std::optional<tls_stream> s;
  run(ioc, [&]() -> asio::awaitable<void> {
    s.emplace(co_await tls_connect(server.port(), ctx));
    co_await write_all(*s, "/bulk 1000000000\n");
    char first;
    co_await asio::async_read(*s, asio::buffer(&first, 1), asio::use_awaitable);
  });
  return s;
}
}  // namespace

BOOST_AUTO_TEST_CASE(a_handshake_under_way_when_the_drain_begins_still_ends_with_close_notify) {
  // TLS 1.3 clients count themselves connected once their Finished is sent, while the server
  // may still be reading it: a drain must let that handshake finish and then close it
  // properly, not cut it. Here the server has accepted our TCP connection, the drain begins,
  // and only then do we start TLS.
  server_process server;
  asio::io_context ioc;
  auto ctx = client_context(server.cert_path());
  std::optional<tcp::socket> sock;
  std::uint16_t port = 0;
  run(ioc, [&]() -> asio::awaitable<void> {
    sock.emplace(co_await tcp_connect(server.port()));
    port = local_port(*sock);
  });
  const std::string peer = "127.0.0.1:" + std::to_string(port);
  server.wait_event("accept", [&](const event& e) { return event_string(e, "peer") == peer; });
  server.signal(SIGTERM);
  server.wait_event("draining", [](const event&) { return true; });
  run(ioc, [&]() -> asio::awaitable<void> {
    tls_stream s(std::move(*sock), ctx);
    set_client_server_name(s, "localhost", true);
    co_await s.async_handshake(ssl::stream_base::client, asio::use_awaitable);
    auto [data, end] = co_await read_to_end(s);
    BOOST_TEST((end == asio::error::eof), "expected close_notify, got " << end.message());
    co_await s.async_shutdown(use_nothrow);
  });
  BOOST_TEST(server.wait_exit() == 0);
  BOOST_TEST(event_number(server.summary(), "server_shutdown") == 1u);
}

BOOST_AUTO_TEST_CASE(drain_deadline_cuts_a_stuck_session_and_exits_3) {
  server_process server({"--drain-timeout", "500ms", "--write-timeout", "60s"});
  asio::io_context ioc;
  auto ctx = client_context(server.cert_path(), {"closenotify/1"});
  const auto s = stuck_session(server, ioc, ctx);
  server.signal(SIGTERM);
  BOOST_TEST(server.wait_exit(30s) == 3);
  const auto summary = server.summary();
  BOOST_TEST(event_string(summary, "drain") == "forced");
  BOOST_TEST(event_number(summary, "accepted") == 1u);
  BOOST_TEST(event_number(summary, "closed_total") == 1u);
  BOOST_TEST(event_number(summary, "server_shutdown") == 1u);
}

BOOST_AUTO_TEST_CASE(a_second_signal_cuts_the_drain_at_once) {
  // The drain deadline is a minute; only the second signal can end this within wait_exit's 30 s.
  server_process server({"--drain-timeout", "60s", "--write-timeout", "60s"});
  asio::io_context ioc;
  auto ctx = client_context(server.cert_path(), {"closenotify/1"});
  const auto s = stuck_session(server, ioc, ctx);
  server.signal(SIGTERM);
  server.wait_event("draining", [](const event&) { return true; });
  server.signal(SIGINT);
  BOOST_TEST(server.wait_exit(30s) == 3);
  BOOST_TEST(event_string(server.summary(), "drain") == "forced");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(F13_connection_churn)

BOOST_AUTO_TEST_CASE(two_thousand_mixed_endings_are_each_counted_once_and_leak_nothing) {
  constexpr std::size_t total = 2000, concurrency = 40;
  server_process server;
  const std::size_t baseline_fds = server.open_fds();
  asio::io_context ioc;
  auto raw_ctx = client_context(server.cert_path());
  auto line_ctx = client_context(server.cert_path(), {"closenotify/1"});
  std::size_t next = 0;

  auto one = [&](std::size_t i) -> asio::awaitable<void> {
    switch (i % 5) {
      case 0: {  // clean: close_notify both ways
        auto s = co_await tls_connect(server.port(), raw_ctx);
        co_await echo_round_trip(s, "x");
        co_await s.async_shutdown(use_nothrow);
        break;
      }
      case 1: {  // FIN without close_notify
        auto s = co_await tls_connect(server.port(), raw_ctx);
        co_await echo_round_trip(s, "x");
        s.next_layer().close();
        break;
      }
      case 2: {  // RST
        auto s = co_await tls_connect(server.port(), raw_ctx);
        co_await echo_round_trip(s, "x");
        close_with_reset(s.next_layer());
        break;
      }
      case 3: {  // not TLS
        auto sock = co_await tcp_connect(server.port());
        co_await asio::async_write(sock, asio::buffer(std::string_view("GET / HTTP/1.0\r\n\r\n")), asio::use_awaitable);
        sock.shutdown(tcp::socket::shutdown_send);
        char buf[512];
        for (;;) {
          auto [ec, n] = co_await sock.async_read_some(asio::buffer(buf), use_nothrow);
          if (ec) break;
        }
        break;
      }
      default: {  // the server closes: /quit
        auto s = co_await tls_connect(server.port(), line_ctx);
        co_await write_all(s, "/quit\n");
        std::string pending;
        BOOST_TEST(co_await read_line(s, pending) == "BYE");
        co_await read_to_end(s, pending);
        co_await s.async_shutdown(use_nothrow);
        break;
      }
    }
  };
  auto worker = [&]() -> asio::awaitable<void> {
    while (next < total) co_await one(next++);
  };
  run(ioc, [&]() -> asio::awaitable<void> {
    countdown workers(ioc, concurrency);
    for (std::size_t i = 0; i < concurrency; ++i)
      asio::co_spawn(ioc, worker(), [&](std::exception_ptr e) {
        if (e) std::rethrow_exception(e);
        workers.done();
      });
    co_await workers.wait();
  }, 240s);

  const auto closes = server.wait_closes(total, 60s);
  BOOST_TEST(closes.size() == total);
  // Every socket the server opened is closed again.
  BOOST_TEST(server.open_fds() == baseline_fds);
  BOOST_TEST(server.stop() == 0);
  const auto summary = server.summary();
  BOOST_TEST(event_number(summary, "accepted") == total);
  BOOST_TEST(event_number(summary, "closed_total") == total);
  BOOST_TEST(event_number(summary, "clean") == 2 * total / 5);
  BOOST_TEST(event_number(summary, "peer_truncated") == total / 5);
  BOOST_TEST(event_number(summary, "peer_reset") == total / 5);
  BOOST_TEST(event_number(summary, "handshake_failed") == total / 5);
  BOOST_TEST(event_number(summary, "error") == 0u);
}

BOOST_AUTO_TEST_SUITE_END()
