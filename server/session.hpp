// One server connection: the driver of its lifecycle. It shakes hands, hands the connection
// to the protocol ALPN chose (raw echo or the line protocol), and ends it through common's
// graceful_close; its connection_record counts the end, with the lifecycle's reason.
#pragma once

#include <cstdint>

#include "closenotify/asio.hpp"
#include "closenotify/connection_lifecycle.hpp"
#include "closenotify/connection_record.hpp"
#include "closenotify/protocol_sniffer.hpp"
#include "connection_slots.hpp"
#include "session_env.hpp"
#include "session_io.hpp"

namespace closenotify::server {

// The coroutine the listener spawns for each accepted socket.
asio::awaitable<void> run_session(tcp::socket socket, const session_env& env, connection_slots::slot slot, std::uint64_t id);

class session {
 public:
  session(tcp::socket socket, const session_env& env, connection_slots::slot slot, std::uint64_t id);
  session(const session&) = delete;
  session& operator=(const session&) = delete;
  ~session();

  asio::awaitable<void> run();

  // Both run on the session's own thread (the worker posts them there).
  void stop(close_reason reason);  // orderly: stop reading, flush, close_notify
  void abort();                    // the drain deadline passed: close the socket now

 private:
  asio::awaitable<void> serve();
  // No ALPN: reads until the first bytes say HTTP or raw echo; `first` keeps them.
  asio::awaitable<sniffed_protocol> sniff(std::string& first);

  std::uint64_t id_;
  const session_env& env_;  // the worker's, which outlives its sessions
  connection_slots::slot slot_;
  connection_lifecycle lifecycle_;
  connection_record record_;
  session_io io_;
};

}  // namespace closenotify::server
