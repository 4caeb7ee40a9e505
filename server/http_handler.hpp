// HTTP/1.1 on the same port (ALPN http/1.1, or no ALPN and a first line that is an HTTP
// request line): GET/HEAD /healthz, /readyz and /metrics, keep-alive, pipelined requests one
// after the other. Beast parses (its request_parser, fed from what the session read: no
// stream of Beast's own) and serializes; a response goes out in one write, so a small one is
// one TLS record. Every ending goes through the session's lifecycle and the one close path.
//
// Limits: the request header (431), the body (413, decided from Content-Length before any
// of it is read), the time from a request's first byte until it is whole (--header-timeout,
// not reset by a trickle: 408), the wait for the next request (--keepalive-timeout), and the
// requests per connection. Every error response says Connection: close, and the lingering
// close lets the client read all of it before our FIN.
#pragma once

#include <string>

#include "closenotify/asio.hpp"
#include "session_env.hpp"
#include "session_io.hpp"

namespace closenotify::server {
enum class websocket_service : std::uint8_t;
}

namespace closenotify::server {

class http_handler {
 public:
  static constexpr connection_protocol protocol = connection_protocol::http;
  // `first`: bytes already read by the protocol choice, the start of the first request.
  http_handler(session_io& io, const session_env& env, std::string first);
  http_handler(const http_handler&) = delete;
  http_handler& operator=(const http_handler&) = delete;
  ~http_handler();

  asio::awaitable<void> run();
  void goodbye(close_reason why);  // 408 or 503 for a request under way; nothing between requests

 private:
  struct state;
  enum class outcome { next, close, upgrade };
  outcome serve_request();
  void respond_error(const error_code& parse_error);
  asio::awaitable<void> become_websocket();  // the rest of the connection is a WebSocket's
  void respond_and_close(unsigned status, std::string_view body);  // Connection: close

  session_io& io_;
  const session_env& env_;
  std::string pending_;  // received and not yet parsed
  unsigned served_ = 0;
  bool request_started_ = false;
  websocket_service upgrade_service_{};
  std::unique_ptr<state> state_;  // Beast's parser: its templates stay in http_handler.cpp
};

}  // namespace closenotify::server
