// F1-F5: every way a peer can end a connection, seen from the real server.
#include <optional>

#include <boost/asio/read.hpp>
#include <boost/test/unit_test.hpp>

#include "server_process.hpp"
#include "tls_peer.hpp"

using namespace closenotify;
using namespace closenotify::test;

namespace {
bool no_warnings_or_errors(const server_process& server) {
  for (const auto& e : server.events()) {
    const auto level = event_string(e, "level");
    if (level == "warning" || level == "error" || level == "critical") return false;
  }
  return true;
}

// The summary's invariant: every accepted connection closed exactly once.
void check_summary(const server_process& server, std::uint64_t accepted, std::string_view reason) {
  const auto summary = server.summary();
  BOOST_TEST(event_number(summary, "accepted") == accepted);
  BOOST_TEST(event_number(summary, "closed_total") == accepted);
  BOOST_TEST(event_number(summary, reason) >= 1u);
}

// What a peer reads after /quit: BYE, then the server's close_notify, then its FIN.
asio::awaitable<void> expect_bye_close_notify_and_fin(tls_stream& s) {
  std::string pending;
  BOOST_TEST(co_await read_line(s, pending) == "BYE");
  co_await expect_close_notify_and_fin(s, std::move(pending));
}
}  // namespace

BOOST_AUTO_TEST_SUITE(F01_peer_close_notify)

BOOST_AUTO_TEST_CASE(peer_close_notify_closes_clean_and_is_answered) {
  server_process server;
  asio::io_context ioc;
  auto ctx = client_context(server.cert_path());
  std::uint16_t port = 0;
  run(ioc, [&]() -> asio::awaitable<void> {
    auto s = co_await tls_connect(server.port(), ctx);
    port = local_port(s);
    BOOST_TEST(co_await echo_round_trip(s, "hello") == "hello");
    // Our close_notify, answered by the server's: a bidirectional TLS close.
    auto [ec] = co_await s.async_shutdown(use_nothrow);
    BOOST_TEST(!ec, "shutdown: " << ec.message());
  });
  const auto close = server.wait_close(port);
  BOOST_TEST(event_string(close, "reason") == "clean");
  BOOST_TEST(event_number(close, "bytes_in") == 5u);
  BOOST_TEST(event_number(close, "bytes_out") == 5u);
  BOOST_TEST(server.stop() == 0);
  check_summary(server, 1, "clean");
}

BOOST_AUTO_TEST_CASE(clean_exchange_ends_the_connection_without_waiting_for_the_peers_fin) {
  // After both close_notify alerts nothing can follow, so there is nothing to linger for:
  // the server closes at once even though we keep TCP open. Were it lingering, its close
  // would wait for our FIN or --linger-timeout (60 s), past wait_close's 10 s.
  server_process server({"--linger-timeout", "60s"});
  asio::io_context ioc;
  auto ctx = client_context(server.cert_path());
  std::uint16_t port = 0;
  std::optional<tls_stream> s;  // outlives run(): no FIN from us until the end of the test
  run(ioc, [&]() -> asio::awaitable<void> {
    s.emplace(co_await tls_connect(server.port(), ctx));
    port = local_port(*s);
    BOOST_TEST(co_await echo_round_trip(*s, "bye") == "bye");
    auto [ec] = co_await s->async_shutdown(use_nothrow);
    BOOST_TEST(!ec, "shutdown: " << ec.message());
  });
  BOOST_TEST(event_string(server.wait_close(port, 10s), "reason") == "clean");
  BOOST_TEST(server.stop() == 0);
  check_summary(server, 1, "clean");
}

BOOST_AUTO_TEST_CASE(the_servers_fin_follows_its_close_notify_without_waiting_for_ours) {
  // Nothing of the server's can follow its close_notify (RFC 8446 6.1), so its write side
  // closes with it: a peer reading to TCP's end need not answer first. Were the FIN held
  // until our close_notify or --shutdown-timeout (60 s), run()'s 10 s would run out.
  server_process server({"--shutdown-timeout", "60s"});
  asio::io_context ioc;
  auto ctx = client_context(server.cert_path(), {"closenotify/1"});
  std::uint16_t port = 0;
  std::optional<tls_stream> s;  // our close_notify only after the FIN has been read
  run(ioc, [&]() -> asio::awaitable<void> {
    s.emplace(co_await tls_connect(server.port(), ctx));
    port = local_port(*s);
    co_await write_all(*s, "/quit\n");
    co_await expect_bye_close_notify_and_fin(*s);
    auto [ec] = co_await s->async_shutdown(use_nothrow);
    BOOST_TEST(!ec, "shutdown: " << ec.message());
  }, 10s);
  BOOST_TEST(event_string(server.wait_close(port), "reason") == "clean");
  BOOST_TEST(server.stop() == 0);
  check_summary(server, 1, "clean");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(F02_peer_truncates)

BOOST_AUTO_TEST_CASE(fin_without_close_notify_is_peer_truncated_and_not_an_error) {
  server_process server;
  asio::io_context ioc;
  auto ctx = client_context(server.cert_path(), {"closenotify/1"});
  std::uint16_t port = 0;
  run(ioc, [&]() -> asio::awaitable<void> {
    auto s = co_await tls_connect(server.port(), ctx);
    port = local_port(s);
    co_await write_all(s, "/ping\n");
    std::string pending;
    BOOST_TEST(co_await read_line(s, pending) == "PONG");
    // Close TCP without a TLS close_notify: the "short read" of seed 003.
    close_without_close_notify(s.next_layer());
  });
  const auto close = server.wait_close(port);
  BOOST_TEST(event_string(close, "reason") == "peer_truncated");
  BOOST_TEST(event_string(close, "level") == "debug");
  BOOST_TEST(server.stop() == 0);
  BOOST_TEST(no_warnings_or_errors(server));
  check_summary(server, 1, "peer_truncated");
}

BOOST_AUTO_TEST_CASE(a_bare_fin_answering_our_close_notify_is_peer_truncated_not_a_reset) {
  // OpenSSL 3.0 forgets, on that FIN, that our close_notify went out; asked again, it would
  // send a second one into our shut write side and fail with EPIPE: a reset that never was.
  server_process server;
  asio::io_context ioc;
  auto ctx = client_context(server.cert_path(), {"closenotify/1"});
  std::uint16_t port = 0;
  run(ioc, [&]() -> asio::awaitable<void> {
    auto s = co_await tls_connect(server.port(), ctx);
    port = local_port(s);
    co_await write_all(s, "/quit\n");
    co_await expect_bye_close_notify_and_fin(s);
    close_without_close_notify(s.next_layer());
  });
  BOOST_TEST(event_string(server.wait_close(port), "reason") == "peer_truncated");
  BOOST_TEST(server.stop() == 0);
  check_summary(server, 1, "peer_truncated");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(F03_peer_resets)

BOOST_AUTO_TEST_CASE(peer_reset_mid_read_closes_session) {
  server_process server;
  asio::io_context ioc;
  auto ctx = client_context(server.cert_path());
  std::uint16_t port = 0;
  run(ioc, [&]() -> asio::awaitable<void> {
    auto s = co_await tls_connect(server.port(), ctx);
    port = local_port(s);
    BOOST_TEST(co_await echo_round_trip(s, "x") == "x");
    close_with_reset(s.next_layer());  // the server is waiting in a read
  });
  BOOST_TEST(event_string(server.wait_close(port), "reason") == "peer_reset");
  BOOST_TEST(server.stop() == 0);
  check_summary(server, 1, "peer_reset");
}

BOOST_AUTO_TEST_CASE(peer_reset_mid_write_closes_session) {
  server_process server;
  asio::io_context ioc;
  auto ctx = client_context(server.cert_path(), {"closenotify/1"});
  std::uint16_t port = 0;
  run(ioc, [&]() -> asio::awaitable<void> {
    auto s = co_await tls_connect(server.port(), ctx);
    port = local_port(s);
    co_await write_all(s, "/bulk 1000000000\n");  // far more than the socket buffers hold
    std::string some(256 * 1024, '\0');
    co_await asio::async_read(s, asio::buffer(some), asio::use_awaitable);
    close_with_reset(s.next_layer());  // the server is in the middle of writing
  });
  // The session ends at once instead of writing on: well before 1 GB could have been sent.
  const auto close = server.wait_close(port);
  BOOST_TEST(event_string(close, "reason") == "peer_reset");
  BOOST_TEST(event_number(close, "bytes_out") < 1000000000u);
  BOOST_TEST(server.stop() == 0);
  check_summary(server, 1, "peer_reset");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(F04_lingering_close)

BOOST_AUTO_TEST_CASE(quit_with_unread_input_ends_with_fin_not_rst) {
  // The server closes while our data sits unread in its receive buffer. A plain close()
  // would make Linux send RST, and an RST makes our kernel drop the BYE and close_notify
  // still waiting to be read (seed 002). Lingering close drains first, then closes: FIN.
  server_process server({"--linger-timeout", "5s"});
  asio::io_context ioc;
  auto ctx = client_context(server.cert_path(), {"closenotify/1"});
  std::uint16_t port = 0;
  std::string after_quit;
  for (int i = 0; i < 256; ++i) after_quit += std::string(1023, 'j') + "\n";
  std::optional<tls_stream> s;
  run(ioc, [&]() -> asio::awaitable<void> {
    s.emplace(co_await tls_connect(server.port(), ctx));
    port = local_port(*s);
    co_await write_all(*s, "/quit\n" + after_quit);
    s->next_layer().shutdown(tcp::socket::shutdown_send);  // our FIN; no close_notify
  });
  // Read nothing until the server has closed its socket.
  const auto close = server.wait_close(port);
  BOOST_TEST(event_string(close, "reason") == "clean");
  run(ioc, [&]() -> asio::awaitable<void> {
    co_await expect_bye_close_notify_and_fin(*s);
  });
  BOOST_TEST(server.stop() == 0);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(F05_write_to_vanished_peer)

BOOST_AUTO_TEST_CASE(write_to_closed_peer_is_peer_reset_and_the_server_lives_on) {
  server_process server;
  asio::io_context ioc;
  auto line_ctx = client_context(server.cert_path(), {"closenotify/1"});
  auto raw_ctx = client_context(server.cert_path());
  std::uint16_t port = 0;
  run(ioc, [&]() -> asio::awaitable<void> {
    auto s = co_await tls_connect(server.port(), line_ctx);
    port = local_port(s);
    co_await write_all(s, "/bulk 1000000000\n");
    std::string some(64 * 1024, '\0');
    co_await asio::async_read(s, asio::buffer(some), asio::use_awaitable);
    s.next_layer().close();  // gone, with the server still writing: its next send hits EPIPE
  });
  BOOST_TEST(event_string(server.wait_close(port), "reason") == "peer_reset");
  // No SIGPIPE death: the server still serves.
  run(ioc, [&]() -> asio::awaitable<void> {
    auto s = co_await tls_connect(server.port(), raw_ctx);
    BOOST_TEST(co_await echo_round_trip(s, "still here") == "still here");
    co_await s.async_shutdown(use_nothrow);
  });
  BOOST_TEST(server.stop() == 0);
  check_summary(server, 2, "peer_reset");
}

BOOST_AUTO_TEST_SUITE_END()
