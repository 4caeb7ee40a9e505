// closenotify-cli's https:// part, on a connection whose TLS is up: one request (GET, or POST
// with --data), the response's body to stdout as it comes (with --include, its status line
// and header fields first). Beast writes the request and parses the response; the
// connection's lifecycle times the waits, and its close path ends TLS: our close_notify after
// the response, or the answer to the server's.
#pragma once

#include "closenotify/https_outcome.hpp"
#include "protocol_env.hpp"

namespace closenotify::cli {

class https_exchange {
 public:
  explicit https_exchange(protocol_env env) : env_(std::move(env)) {}
  asio::awaitable<void> run();
  const https_outcome& outcome() const noexcept { return outcome_; }

 private:
  asio::awaitable<bool> send_request();
  asio::awaitable<void> read_response();

  protocol_env env_;
  https_outcome outcome_;
};

}  // namespace closenotify::cli
