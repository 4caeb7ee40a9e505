// F9 and F14: large transfers both ways at once never stall; a peer that floods or sends an
// endless line meets back-pressure and a limit, and the server's memory stays bounded.
#include <cstring>

#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/test/unit_test.hpp>

#include "closenotify/bulk_data.hpp"
#include "closenotify/close.hpp"
#include "closenotify/sha256.hpp"
#include "server_process.hpp"
#include "tls_peer.hpp"

using namespace closenotify;
using namespace closenotify::test;
using namespace asio::experimental::awaitable_operators;

BOOST_AUTO_TEST_SUITE(F09_full_duplex)

BOOST_AUTO_TEST_CASE(hundreds_of_mib_both_ways_at_once_arrive_intact) {
  constexpr std::uint64_t total = 256ull << 20;  // each way
  server_process server;
  asio::io_context ioc;
  auto ctx = client_context(server.cert_path());
  std::string sent_hash, received_hash;
  std::uint64_t received = 0;
  std::uint16_t port = 0;
  run(ioc, [&]() -> asio::awaitable<void> {
    auto s = co_await tls_connect(server.port(), ctx);
    port = local_port(s);
    // Writer and reader run at once: the server echoes while we still send, so a server
    // that could only move one direction at a time would deadlock here (seed 004).
    auto writer = [&]() -> asio::awaitable<void> {
      sha256 hash;
      std::uint64_t seed = 0x1234567;
      std::string chunk(256 * 1024, '\0');
      for (std::uint64_t sent = 0; sent < total; sent += chunk.size()) {
        fill_random(seed, chunk);
        hash.update(chunk);
        co_await asio::async_write(s, asio::buffer(chunk), asio::use_awaitable);
      }
      sent_hash = hash.hex_digest();
    };
    auto reader = [&]() -> asio::awaitable<void> {
      sha256 hash;
      std::string buf(256 * 1024, '\0');
      while (received < total) {
        const std::size_t n = co_await s.async_read_some(asio::buffer(buf), asio::use_awaitable);
        hash.update(std::span<const char>(buf.data(), n));
        received += n;
      }
      received_hash = hash.hex_digest();
    };
    co_await (writer() && reader());
    auto [ec] = co_await s.async_shutdown(use_nothrow);
    BOOST_TEST(!ec, ec.message());
  }, 240s);
  BOOST_TEST(received == total);
  BOOST_TEST(received_hash == sent_hash);
  const auto close = server.wait_close(port);
  BOOST_TEST(event_string(close, "reason") == "clean");
  BOOST_TEST(event_number(close, "bytes_in") == total);
  BOOST_TEST(event_number(close, "bytes_out") == total);
  BOOST_TEST(server.stop() == 0);
}

BOOST_AUTO_TEST_CASE(bulk_stream_matches_its_trailer_and_the_generator) {
  constexpr std::uint64_t total = 50'000'000;
  server_process server;
  asio::io_context ioc;
  auto ctx = client_context(server.cert_path(), {"closenotify/1"});
  run(ioc, [&]() -> asio::awaitable<void> {
    auto s = co_await tls_connect(server.port(), ctx);
    co_await write_all(s, "/bulk " + std::to_string(total) + "\n");
    sha256 hash;
    std::string data(1 << 20, '\0'), expected(1 << 20, '\0');
    for (std::uint64_t got = 0; got < total;) {
      const auto want = static_cast<std::size_t>(std::min<std::uint64_t>(data.size(), total - got));
      co_await asio::async_read(s, asio::buffer(data.data(), want), asio::use_awaitable);
      fill_bulk_data(got, std::span<char>(expected.data(), want));
      BOOST_REQUIRE(std::memcmp(data.data(), expected.data(), want) == 0);
      hash.update(std::span<const char>(data.data(), want));
      got += want;
    }
    std::string pending;
    BOOST_TEST(co_await read_line(s, pending) == "SHA256 " + hash.hex_digest());
    co_await write_all(s, "/quit\n");
    BOOST_TEST(co_await read_line(s, pending) == "BYE");
    auto [ec] = co_await s.async_shutdown(use_nothrow);
    BOOST_TEST(!ec, ec.message());
  }, 120s);
  BOOST_TEST(server.stop() == 0);
  BOOST_TEST(event_number(server.summary(), "clean") == 1u);
}

BOOST_AUTO_TEST_CASE(half_close_still_receives_every_byte_until_the_servers_close_notify) {
  // `cat file | client`: at the end of input the client sends close_notify at once and keeps
  // reading; the server echoes what it already has, then answers with its own close_notify.
  constexpr std::uint64_t total = 64ull << 20;
  server_process server;
  asio::io_context ioc;
  auto ctx = client_context(server.cert_path());
  std::uint16_t port = 0;
  run(ioc, [&]() -> asio::awaitable<void> {
    auto s = co_await tls_connect(server.port(), ctx);
    port = local_port(s);
    std::string sent_hash, received_hash;
    std::uint64_t received = 0;
    error_code end;
    auto writer = [&]() -> asio::awaitable<void> {
      sha256 hash;
      std::uint64_t seed = 77;
      std::string chunk(64 * 1024, '\0');
      for (std::uint64_t sent = 0; sent < total; sent += chunk.size()) {
        fill_random(seed, chunk);
        hash.update(chunk);
        co_await asio::async_write(s, asio::buffer(chunk), asio::use_awaitable);
      }
      sent_hash = hash.hex_digest();
      const error_code ec = co_await send_close_notify(s);
      BOOST_TEST(!ec, ec.message());
    };
    auto reader = [&]() -> asio::awaitable<void> {
      sha256 hash;
      std::string buf(64 * 1024, '\0');
      for (;;) {
        auto [ec, n] = co_await s.async_read_some(asio::buffer(buf), use_nothrow);
        hash.update(std::span<const char>(buf.data(), n));
        received += n;
        if (ec) {
          end = ec;
          break;
        }
      }
      received_hash = hash.hex_digest();
    };
    co_await (writer() && reader());
    BOOST_TEST((end == asio::error::eof), "reading ended with " << end.message());
    BOOST_TEST(received == total);
    BOOST_TEST(received_hash == sent_hash);
    // Both close_notify alerts are exchanged: the shutdown completes without I/O.
    auto [ec] = co_await s.async_shutdown(use_nothrow);
    BOOST_TEST(!ec, ec.message());
  }, 120s);
  BOOST_TEST(event_string(server.wait_close(port), "reason") == "clean");
  BOOST_TEST(server.stop() == 0);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(F14_limits_and_backpressure)

BOOST_AUTO_TEST_CASE(overlong_line_gets_err_line_too_long_and_protocol_error) {
  server_process server({"--max-line", "1024"});
  asio::io_context ioc;
  auto ctx = client_context(server.cert_path(), {"closenotify/1"});
  std::uint16_t port = 0;
  run(ioc, [&]() -> asio::awaitable<void> {
    auto s = co_await tls_connect(server.port(), ctx);
    port = local_port(s);
    co_await write_all(s, "short line\n" + std::string(1025, 'a') + "\n");
    std::string pending;
    BOOST_TEST(co_await read_line(s, pending) == "short line");
    BOOST_TEST(co_await read_line(s, pending) == "ERR line-too-long");
    auto [rest, end] = co_await read_to_end(s, pending);
    BOOST_TEST((end == asio::error::eof), "expected close_notify, got " << end.message());
    co_await s.async_shutdown(use_nothrow);
  });
  BOOST_TEST(event_string(server.wait_close(port), "reason") == "protocol_error");
  BOOST_TEST(server.stop() == 0);
}

BOOST_AUTO_TEST_CASE(endless_line_without_newline_is_cut_at_the_limit) {
  server_process server({"--max-line", "4096"});
  asio::io_context ioc;
  auto ctx = client_context(server.cert_path(), {"closenotify/1"});
  std::uint16_t port = 0;
  run(ioc, [&]() -> asio::awaitable<void> {
    auto s = co_await tls_connect(server.port(), ctx);
    port = local_port(s);
    // Keep sending a line that never ends; the server must answer long before it would.
    auto sender = [&]() -> asio::awaitable<void> {
      const std::string chunk(16 * 1024, 'z');
      for (int i = 0; i < 64 * 1024; ++i) {
        auto [ec, n] = co_await asio::async_write(s, asio::buffer(chunk), use_nothrow);
        if (ec) co_return;
      }
    };
    auto receiver = [&]() -> asio::awaitable<std::string> {
      std::string pending;
      co_return co_await read_line(s, pending);
    };
    auto result = co_await (sender() || receiver());
    BOOST_REQUIRE(result.index() == 1u);
    BOOST_TEST(std::get<1>(result) == "ERR line-too-long");
  });
  const auto close = server.wait_close(port);
  BOOST_TEST(event_string(close, "reason") == "protocol_error");
  BOOST_TEST(event_number(close, "bytes_in") < 64u * 1024 * 16 * 1024);
  BOOST_TEST(server.stop() == 0);
}

BOOST_AUTO_TEST_CASE(peer_flooding_without_reading_meets_backpressure_and_bounded_memory) {
  constexpr std::uint64_t flood = 512ull << 20;
  server_process server({"--write-timeout", "1s"});
  const std::size_t baseline_kib = server.rss_kib();
  asio::io_context ioc;
  auto ctx = client_context(server.cert_path());
  std::uint64_t written = 0;
  std::uint16_t port = 0;
  run(ioc, [&]() -> asio::awaitable<void> {
    auto s = co_await tls_connect(server.port(), ctx);
    port = local_port(s);
    // Raw echo: everything we send is owed back, and we never read. The server must stop
    // reading (its queue is bounded), so our writes stall; it then gives up on us.
    std::string chunk(64 * 1024, 'f');
    while (written < flood) {
      auto [ec, n] = co_await asio::async_write(s, asio::buffer(chunk), use_nothrow);
      written += n;
      if (ec) break;  // the server closed on us
    }
  }, 120s);
  const auto close = server.wait_close(port);
  BOOST_TEST(event_string(close, "reason") == "write_timeout");
  BOOST_TEST(written < flood);  // back-pressure reached us: 512 MiB could not be pushed in
  const std::size_t peak_kib = server.peak_rss_kib();
  BOOST_TEST_MESSAGE("server RSS baseline " << baseline_kib << " KiB, peak " << peak_kib << " KiB, peer wrote "
                                            << written << " bytes");
  BOOST_TEST(peak_kib < baseline_kib + 64 * 1024);  // bounded by the queue, not by what the peer sent
  BOOST_TEST(server.stop() == 0);
}

BOOST_AUTO_TEST_SUITE_END()
