// What a session gets from its worker, and all it may use: no path up to the server object.
#pragma once

#include <span>

#include "closenotify/asio.hpp"
#include "closenotify/counters.hpp"
#include "server_config.hpp"

namespace closenotify::server {

class session_set;

// The server's counters, for the line protocol's /stats.
class stats_source {
 public:
  virtual counters_snapshot stats() const = 0;

 protected:
  ~stats_source() = default;
};

struct session_env {
  asio::io_context& context;  // the worker's: the session's timers run on it
  const session_limits& limits;
  ssl::context& tls;
  counters& counts;           // this thread's block
  std::span<char> read_scratch;  // this thread's: a session reads into it only once input is there
  const stats_source& stats;
  session_set& sessions;  // where the drain finds a session
};

}  // namespace closenotify::server
