// F8, F10, F11: peers that stall, at every stage, meet a deadline and a clear reason.
#include <optional>

#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <boost/test/unit_test.hpp>

#include "server_process.hpp"
#include "tls_peer.hpp"

using namespace closenotify;
using namespace closenotify::test;

BOOST_AUTO_TEST_SUITE(F08_shutdown_deadline)

BOOST_AUTO_TEST_CASE(peer_that_never_answers_close_notify_is_shutdown_timeout) {
  server_process server({"--shutdown-timeout", "500ms", "--linger-timeout", "500ms"});
  asio::io_context ioc;
  auto ctx = client_context(server.cert_path(), {"closenotify/1"});
  std::optional<tls_stream> s;
  std::uint16_t port = 0;
  run(ioc, [&]() -> asio::awaitable<void> {
    s.emplace(co_await tls_connect(server.port(), ctx));
    port = local_port(*s);
    co_await write_all(*s, "/quit\n");
    std::string pending;
    BOOST_TEST(co_await read_line(*s, pending) == "BYE");
    // Then silence: no close_notify, no FIN, the socket stays open.
  });
  const auto close = server.wait_close(port, 20s);
  BOOST_TEST(event_string(close, "reason") == "shutdown_timeout");
  BOOST_TEST(server.stop() == 0);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(F10_not_tls)

namespace {
// Sends raw bytes, then reads until the server ends the connection; returns what came back.
std::string send_raw(std::uint16_t port, std::string bytes, std::uint16_t& local) {
  asio::io_context ioc;
  std::string reply;
  run(ioc, [&]() -> asio::awaitable<void> {
    auto sock = co_await tcp_connect(port);
    local = local_port(sock);
    co_await asio::async_write(sock, asio::buffer(bytes), asio::use_awaitable);
    sock.shutdown(tcp::socket::shutdown_send);
    for (;;) {
      char buf[4096];
      auto [ec, n] = co_await sock.async_read_some(asio::buffer(buf), use_nothrow);
      reply.append(buf, n);
      if (ec) break;
    }
  });
  return reply;
}
}  // namespace

BOOST_AUTO_TEST_CASE(plaintext_http_is_handshake_failed) {
  server_process server;
  std::uint16_t local = 0;
  const std::string reply = send_raw(server.port(), "GET / HTTP/1.1\r\nHost: localhost\r\n\r\n", local);
  const auto close = server.wait_close(local);
  BOOST_TEST(event_string(close, "reason") == "handshake_failed");
  BOOST_TEST(!event_string(close, "detail").empty());
  // OpenSSL answers garbage with a TLS alert record (content type 21), nothing else.
  BOOST_TEST((reply.empty() || reply[0] == 21));
  BOOST_TEST(server.stop() == 0);
}

BOOST_AUTO_TEST_CASE(random_bytes_are_handshake_failed) {
  server_process server;
  std::string junk(4096, '\0');
  std::uint64_t seed = 42;
  fill_random(seed, junk);
  junk[0] = 0x16;  // even when it starts like a handshake record
  std::uint16_t local = 0;
  send_raw(server.port(), junk, local);
  BOOST_TEST(event_string(server.wait_close(local), "reason") == "handshake_failed");
  BOOST_TEST(server.stop() == 0);
}

BOOST_AUTO_TEST_CASE(half_a_client_hello_then_silence_is_handshake_timeout) {
  server_process server({"--handshake-timeout", "500ms", "--linger-timeout", "200ms"});
  asio::io_context ioc;
  std::optional<tcp::socket> sock;
  std::uint16_t local = 0;
  const std::string hello = client_hello_bytes();
  BOOST_REQUIRE(hello.size() > 100u);
  run(ioc, [&]() -> asio::awaitable<void> {
    sock.emplace(co_await tcp_connect(server.port()));
    local = local_port(*sock);
    co_await asio::async_write(*sock, asio::buffer(hello.data(), hello.size() / 2), asio::use_awaitable);
  });
  BOOST_TEST(event_string(server.wait_close(local, 20s), "reason") == "handshake_timeout");
  BOOST_TEST(server.stop() == 0);
}

BOOST_AUTO_TEST_CASE(bad_peers_do_not_disturb_a_live_session) {
  server_process server({"--handshake-timeout", "1s"});
  asio::io_context ioc;
  auto ctx = client_context(server.cert_path(), {"closenotify/1"});
  std::optional<tls_stream> good;
  std::string pending;
  run(ioc, [&]() -> asio::awaitable<void> {
    good.emplace(co_await tls_connect(server.port(), ctx));
    co_await write_all(*good, "before\n");
    BOOST_TEST(co_await read_line(*good, pending) == "before");
  });
  std::uint16_t local = 0;
  send_raw(server.port(), "GET / HTTP/1.0\r\n\r\n", local);
  send_raw(server.port(), std::string(10000, '\xff'), local);
  BOOST_TEST(event_string(server.wait_close(local), "reason") == "handshake_failed");
  run(ioc, [&]() -> asio::awaitable<void> {
    co_await write_all(*good, "after\n/quit\n");
    BOOST_TEST(co_await read_line(*good, pending) == "after");
    BOOST_TEST(co_await read_line(*good, pending) == "BYE");
    auto [ec] = co_await good->async_shutdown(use_nothrow);
    BOOST_TEST(!ec, ec.message());
  });
  BOOST_TEST(server.stop() == 0);
  const auto summary = server.summary();
  BOOST_TEST(event_number(summary, "clean") == 1u);
  BOOST_TEST(event_number(summary, "handshake_failed") == 2u);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(F11_idle_peer)

// The handshake deadline is long on purpose: the idle deadline must not wait for it.
const std::vector<std::string> idle_args{"--idle-timeout", "500ms", "--handshake-timeout", "60s"};

BOOST_AUTO_TEST_CASE(idle_line_session_hears_bye_idle_timeout_then_close_notify) {
  server_process server(idle_args);
  asio::io_context ioc;
  auto ctx = client_context(server.cert_path(), {"closenotify/1"});
  std::uint16_t port = 0;
  run(ioc, [&]() -> asio::awaitable<void> {
    auto s = co_await tls_connect(server.port(), ctx);
    port = local_port(s);
    std::string pending;
    BOOST_TEST(co_await read_line(s, pending) == "BYE idle-timeout");
    auto [rest, end] = co_await read_to_end(s, pending);
    BOOST_TEST(rest.empty());
    BOOST_TEST((end == asio::error::eof), "expected close_notify, got " << end.message());
    auto [ec] = co_await s.async_shutdown(use_nothrow);
    BOOST_TEST(!ec, ec.message());
  }, 20s);
  BOOST_TEST(event_string(server.wait_close(port), "reason") == "idle_timeout");
  BOOST_TEST(server.stop() == 0);
}

BOOST_AUTO_TEST_CASE(idle_raw_session_gets_close_notify) {
  server_process server(idle_args);
  asio::io_context ioc;
  auto ctx = client_context(server.cert_path());
  std::uint16_t port = 0;
  run(ioc, [&]() -> asio::awaitable<void> {
    auto s = co_await tls_connect(server.port(), ctx);
    port = local_port(s);
    co_await write_all(s, "activity");
    auto [data, end] = co_await read_to_end(s);
    BOOST_TEST(data == "activity");
    BOOST_TEST((end == asio::error::eof), "expected close_notify, got " << end.message());
    co_await s.async_shutdown(use_nothrow);
  }, 20s);
  BOOST_TEST(event_string(server.wait_close(port), "reason") == "idle_timeout");
  BOOST_TEST(server.stop() == 0);
}

BOOST_AUTO_TEST_SUITE_END()
