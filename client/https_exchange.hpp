// closenotify-cli's https:// part, on a connection whose TLS is up: one request (GET, or POST
// with --data), the response's body to stdout as it comes (with --include, its status line
// and header fields first). Beast writes the request and parses the response; the
// connection's lifecycle times the waits, and its close path ends TLS: our close_notify after
// the response, or the answer to the server's.
#pragma once

#include <functional>
#include <memory>

#include "cli_options.hpp"
#include "closenotify/asio.hpp"
#include "closenotify/connection_lifecycle.hpp"
#include "closenotify/https_outcome.hpp"
#include "closenotify/tls_stream.hpp"
#include "stdout_sink.hpp"
#include "terminal.hpp"

namespace closenotify::cli {

struct https_env {
  const cli_config& config;
  tls_stream& stream;
  connection_lifecycle& lifecycle;
  stdout_sink& out;
  terminal& term;
  asio::cancellation_signal& read_cancel;
  asio::cancellation_signal& write_cancel;
  std::function<void(lifecycle_actions)> apply;  // the connection carries out the lifecycle's actions
};

class https_exchange {
 public:
  explicit https_exchange(https_env env) : env_(std::move(env)) {}
  asio::awaitable<void> run();
  const https_outcome& outcome() const noexcept { return outcome_; }

 private:
  asio::awaitable<bool> send_request();
  asio::awaitable<void> read_response();

  https_env env_;
  https_outcome outcome_;
};

}  // namespace closenotify::cli
