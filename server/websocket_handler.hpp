// A WebSocket (RFC 6455) on the session's TLS: Beast's websocket::stream over a
// session_transport. /ws echoes every message as it came (text or binary); /ws/status answers
// every message with the server's counters (the status page's live view). Messages up to
// --ws-max-message (close 1009 beyond); Beast answers pings and fragments what it writes.
// After --ws-ping-interval without input we ping; another interval without an answer stops
// the connection (idle_timeout, close 1001).
//
// The end, one close reason as for every protocol:
// - the peer's close frame: Beast answers it with the same code, then the TLS close;
// - a stop (drain, a timeout): our close frame, 1001 with why, then reading on until the
//   peer's answer for at most --shutdown-timeout, then the TLS close;
// - a protocol violation: Beast's close frame with its code (1002, 1007, 1009), then the TLS
//   close at once (protocol_error).
// The TLS close is the session's: close_notify with our FIN, then the bounded drain.
#pragma once

#include <memory>

#include "closenotify/asio.hpp"
#include "session_env.hpp"
#include "session_io.hpp"

namespace closenotify::server {

struct websocket_upgrade;

class websocket_handler final : private protocol_listener {
 public:
  static constexpr connection_protocol protocol = connection_protocol::websocket;
  websocket_handler(session_io& io, const session_env& env, websocket_upgrade&& upgrade);
  websocket_handler(const websocket_handler&) = delete;
  websocket_handler& operator=(const websocket_handler&) = delete;
  ~websocket_handler();

  asio::awaitable<void> run();

 private:
  struct state;
  asio::awaitable<void> serve();
  void read_ended(const error_code& ec);
  void heard_from_peer();
  void alarm() override;                    // a ping after a silence
  void goodbye(close_reason why) override;  // our close frame
  void started();                           // an operation of its own on the stream
  void ended();

  session_io& io_;
  const session_env& env_;
  unsigned under_way_ = 0;  // pings and our close: each holds on to the stream
  bool ping_under_way_ = false;
  bool close_sent_ = false;
  std::unique_ptr<state> state_;
};

}  // namespace closenotify::server
