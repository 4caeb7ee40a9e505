#include "scripted_server.hpp"

#include <unistd.h>

#include <atomic>
#include <fstream>

#include "closenotify/self_signed_cert.hpp"
#include "closenotify/tls_context.hpp"

#include <openssl/ssl.h>

namespace closenotify::test {

namespace {
ssl::context make_tls(const certificate_pem& pem) {
  server_tls_config config;
  config.cert_chain_pem = pem.cert;
  config.key_pem = pem.key;
  return make_server_context(config);
}
}  // namespace

scripted_server::scripted_server(script s, int max_tls_version)
    : tls_(ssl::context::tls_server), acceptor_(ioc_) {
  static std::atomic<int> counter{0};
  dir_ = std::filesystem::temp_directory_path() /
         ("closenotify-scripted-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
  std::filesystem::create_directories(dir_);
  const auto pem = make_localhost_certificate();
  cert_path_ = (dir_ / "cert.pem").string();
  std::ofstream(cert_path_) << pem.cert;
  tls_ = make_tls(pem);
  if (max_tls_version != 0) SSL_CTX_set_max_proto_version(tls_.native_handle(), max_tls_version);

  acceptor_.open(tcp::v4());
  acceptor_.bind({asio::ip::make_address("127.0.0.1"), 0});
  acceptor_.listen();
  port_ = acceptor_.local_endpoint().port();
  done_future_ = done_.get_future();
  asio::co_spawn(
      ioc_,
      [this, s = std::move(s)]() -> asio::awaitable<void> {
        tls_stream stream(co_await acceptor_.async_accept(asio::use_awaitable), tls_);
        co_await stream.async_handshake(ssl::stream_base::server, asio::use_awaitable);
        co_await s(stream);
      },
      [this](std::exception_ptr) { done_.set_value(); });
  thread_ = std::thread([this] { ioc_.run(); });
}

scripted_server::~scripted_server() {
  ioc_.stop();
  thread_.join();
  std::error_code ignored;
  std::filesystem::remove_all(dir_, ignored);
}

bool scripted_server::finished(std::chrono::milliseconds timeout) {
  return done_future_.wait_for(timeout) == std::future_status::ready;
}

}  // namespace closenotify::test
