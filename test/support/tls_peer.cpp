#include "tls_peer.hpp"

#include <cstring>

#include <boost/asio/connect.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <boost/test/unit_test.hpp>
#include <openssl/ssl.h>

#include "closenotify/tls_context.hpp"

namespace closenotify::test {

ssl::context client_context(const std::string& trusted_cert_pem_file, std::vector<std::string> alpn) {
  client_tls_config config;
  config.verify_peer = !trusted_cert_pem_file.empty();
  config.ca_file = trusted_cert_pem_file;
  config.alpn = std::move(alpn);
  return make_client_context(config);
}

asio::awaitable<tcp::socket> tcp_connect(std::uint16_t port) {
  tcp::socket socket(co_await asio::this_coro::executor);
  co_await socket.async_connect({asio::ip::make_address("127.0.0.1"), port}, asio::use_awaitable);
  co_return socket;
}

asio::awaitable<tls_stream> tls_connect(std::uint16_t port, ssl::context& ctx) {
  tls_stream stream(co_await tcp_connect(port), ctx);
  set_client_server_name(stream, "localhost", SSL_CTX_get_verify_mode(ctx.native_handle()) != SSL_VERIFY_NONE);
  co_await stream.async_handshake(ssl::stream_base::client, asio::use_awaitable);
  co_return stream;
}

std::uint16_t local_port(tls_stream& s) { return s.next_layer().local_endpoint().port(); }
std::uint16_t local_port(tcp::socket& s) { return s.local_endpoint().port(); }

asio::awaitable<std::string> read_line(tls_stream& s, std::string& pending) {
  for (;;) {
    const auto nl = pending.find('\n');
    if (nl != std::string::npos) {
      std::string line = pending.substr(0, nl);
      pending.erase(0, nl + 1);
      co_return line;
    }
    char buf[4096];
    const std::size_t n = co_await s.async_read_some(asio::buffer(buf), asio::use_awaitable);
    pending.append(buf, n);
  }
}

asio::awaitable<std::pair<std::string, error_code>> read_to_end(tls_stream& s, std::string pending) {
  for (;;) {
    char buf[16384];
    auto [ec, n] = co_await s.async_read_some(asio::buffer(buf), use_nothrow);
    pending.append(buf, n);
    if (ec) co_return std::pair{std::move(pending), ec};
  }
}

asio::awaitable<void> expect_close_notify_and_fin(tls_stream& s, std::string pending) {
  auto [rest, tls_end] = co_await read_to_end(s, std::move(pending));
  BOOST_TEST(rest.empty(), rest);
  BOOST_TEST((tls_end == asio::error::eof), "TLS ended with '" << tls_end.message() << "', not close_notify");
  char byte;
  auto [tcp_end, n] = co_await s.next_layer().async_read_some(asio::buffer(&byte, 1), use_nothrow);
  BOOST_TEST((tcp_end == asio::error::eof), "TCP ended with '" << tcp_end.message() << "', not FIN");
}

asio::awaitable<void> write_all(tls_stream& s, std::string_view bytes) {
  co_await asio::async_write(s, asio::buffer(bytes), asio::use_awaitable);
}

asio::awaitable<std::string> echo_round_trip(tls_stream& s, std::string_view bytes) {
  co_await write_all(s, bytes);
  std::string back(bytes.size(), '\0');
  co_await asio::async_read(s, asio::buffer(back), asio::use_awaitable);
  co_return back;
}

void close_with_reset(tcp::socket& s) {
  s.set_option(asio::socket_base::linger(true, 0));
  s.close();
}

void close_without_close_notify(tcp::socket& s) {
  s.shutdown(tcp::socket::shutdown_both);
  s.close();
}

std::string client_hello_bytes() {
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  SSL* ssl = SSL_new(ctx);
  BIO* rbio = BIO_new(BIO_s_mem());
  BIO* wbio = BIO_new(BIO_s_mem());
  SSL_set_bio(ssl, rbio, wbio);
  SSL_set_connect_state(ssl);
  SSL_do_handshake(ssl);  // wants the ServerHello: the ClientHello is now in wbio
  char* data = nullptr;
  const long len = BIO_get_mem_data(wbio, &data);
  std::string hello(data, static_cast<std::size_t>(len));
  SSL_free(ssl);
  SSL_CTX_free(ctx);
  return hello;
}

void run(asio::io_context& ioc, std::function<asio::awaitable<void>()> work, std::chrono::milliseconds limit) {
  bool done = false;
  std::exception_ptr failure;
  asio::co_spawn(ioc, std::move(work), [&](std::exception_ptr e) {
    done = true;
    failure = e;
  });
  ioc.restart();
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!done && std::chrono::steady_clock::now() < deadline) ioc.run_one_until(deadline);
  if (!done) BOOST_FAIL("the test's peer did not finish in time");
  if (failure) std::rethrow_exception(failure);
}

void fill_random(std::uint64_t& state, std::span<char> out) {
  std::size_t i = 0;
  while (i < out.size()) {
    state ^= state << 13;  // xorshift64
    state ^= state >> 7;
    state ^= state << 17;
    const std::size_t n = std::min<std::size_t>(8, out.size() - i);
    std::memcpy(out.data() + i, &state, n);
    i += n;
  }
}

}  // namespace closenotify::test
