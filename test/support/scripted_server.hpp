// A TLS server the test scripts, for clients under test: it accepts one connection on
// 127.0.0.1 and runs the script on it, on its own thread. Misbehaving servers (reset,
// truncation, silence) are a few lines each.
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <future>
#include <string>
#include <thread>
#include <vector>

#include "closenotify/asio.hpp"
#include "closenotify/tls_stream.hpp"

namespace closenotify::test {

class scripted_server {
 public:
  using script = std::function<asio::awaitable<void>(tls_stream&)>;
  // max_tls_version: 0, or TLS1_2_VERSION for a server that stops at TLS 1.2.
  explicit scripted_server(script s, int max_tls_version = 0);
  scripted_server(const scripted_server&) = delete;
  scripted_server& operator=(const scripted_server&) = delete;
  ~scripted_server();

  std::uint16_t port() const noexcept { return port_; }
  const std::string& cert_path() const noexcept { return cert_path_; }
  // True once the script ran to its end (false if it did not within the timeout).
  bool finished(std::chrono::milliseconds timeout);

 private:
  std::filesystem::path dir_;
  std::string cert_path_;
  asio::io_context ioc_;
  ssl::context tls_;
  tcp::acceptor acceptor_;
  std::uint16_t port_ = 0;
  std::promise<void> done_;
  std::future<void> done_future_;
  std::thread thread_;
};

}  // namespace closenotify::test
