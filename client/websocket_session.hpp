// closenotify-cli's wss:// part, on a connection whose TLS is up: the upgrade, then standard
// input as messages and messages to standard output (both at once), then the close frames.
// Beast's websocket::stream runs over the connection's tls_stream with its teardown a no-op
// and its timeouts off: the connection's lifecycle times every wait, and after the close
// frames the connection's close path sends close_notify and awaits the server's.
//
// The lifecycle hears of every read and write as for raw TLS; once open, the WebSocket closes
// in band (connection_lifecycle::closes_in_band): a quit, the end of input or a closed stdout
// says `say_goodbye`, and goodbye() sends close 1000 while the pending read waits for the
// server's answer, for at most --shutdown-timeout.
#pragma once

#include <memory>

#include "closenotify/websocket_outcome.hpp"
#include "protocol_env.hpp"

namespace closenotify::cli {

class websocket_session {
 public:
  explicit websocket_session(protocol_env env);
  websocket_session(const websocket_session&) = delete;
  websocket_session& operator=(const websocket_session&) = delete;
  ~websocket_session();

  // The upgrade, the messages, the close frames; returns once no operation is under way.
  asio::awaitable<void> run();
  void goodbye();  // say_goodbye: our close frame, 1000, once
  const websocket_outcome& outcome() const noexcept { return outcome_; }

 private:
  struct state;
  asio::awaitable<bool> upgrade();
  asio::awaitable<void> reader();
  asio::awaitable<void> writer();
  asio::awaitable<bool> send(std::string_view message, bool binary);
  void deliver(std::string_view payload, bool text);

  protocol_env env_;
  websocket_outcome outcome_;
  std::unique_ptr<state> state_;  // Beast's stream: its templates stay in websocket_session.cpp
  bool close_sent_ = false;
  bool close_under_way_ = false;
  bool close_answered_ = false;  // our close frame, answered by the server's
};

}  // namespace closenotify::cli
