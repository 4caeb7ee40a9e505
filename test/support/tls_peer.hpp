// Scripted TLS peers for integration tests: coroutines on a test-owned io_context.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "closenotify/asio.hpp"
#include "closenotify/tls_stream.hpp"

namespace closenotify::test {

using namespace std::chrono_literals;

// A client context that trusts the server's certificate file (or nothing, when empty: no
// verification, for peers that test the server rather than the client).
ssl::context client_context(const std::string& trusted_cert_pem_file = {}, std::vector<std::string> alpn = {});

asio::awaitable<tcp::socket> tcp_connect(std::uint16_t port);
asio::awaitable<tls_stream> tls_connect(std::uint16_t port, ssl::context& ctx);

std::uint16_t local_port(tls_stream& s);
std::uint16_t local_port(tcp::socket& s);

// Reads one LF-terminated line (without LF); `pending` keeps bytes read past it.
asio::awaitable<std::string> read_line(tls_stream& s, std::string& pending);
// Reads until the stream ends; returns what came and the error that ended it (eof = close_notify).
asio::awaitable<std::pair<std::string, error_code>> read_to_end(tls_stream& s, std::string pending = {});
asio::awaitable<void> write_all(tls_stream& s, std::string_view bytes);
// Nothing more comes: TLS ends with the server's close_notify, then TCP with its FIN (not RST).
asio::awaitable<void> expect_close_notify_and_fin(tls_stream& s, std::string pending = {});
// Raw echo: writes the bytes and reads as many back; returns what came back.
asio::awaitable<std::string> echo_round_trip(tls_stream& s, std::string_view bytes);

// Sends RST instead of FIN when closed (SO_LINGER with a zero timeout).
void close_with_reset(tcp::socket& s);
// Ends TCP with FIN and no TLS close_notify: the "short read" (stream_truncated) of seed 003.
void close_without_close_notify(tcp::socket& s);

// The bytes of a real TLS ClientHello for 127.0.0.1 (for partial-handshake peers).
std::string client_hello_bytes();

// Runs the coroutine on ioc until it finishes; fails the test if it takes longer than limit.
void run(asio::io_context& ioc, std::function<asio::awaitable<void>()> work, std::chrono::milliseconds limit = 60s);

// Deterministic pseudo-random bytes for transfer tests.
void fill_random(std::uint64_t& state, std::span<char> out);

}  // namespace closenotify::test
