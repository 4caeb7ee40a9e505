// The server: N workers (thread + io_context + SO_REUSEPORT acceptor each), the connection
// limit, and the drain on SIGINT/SIGTERM.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "closenotify/asio.hpp"
#include "closenotify/counters.hpp"
#include "connection_slots.hpp"
#include "server_config.hpp"
#include "session_env.hpp"

namespace closenotify::server {

class worker;

enum exit_code : int { exit_ok = 0, exit_failure = 1, exit_usage = 2, exit_drain_forced = 3 };

class server final : public stats_source {
 public:
  // Builds the TLS context and binds the listeners; throws std::runtime_error with a
  // message for people when it cannot (bad certificate, port in use, ...).
  explicit server(server_config config);
  ~server();

  // Serves until SIGINT/SIGTERM and the drain that follows. Returns the process exit code.
  int run();

  tcp::endpoint local_endpoint() const;
  counters_snapshot stats() const override;

 private:
  void bind_listeners();
  void begin_drain();
  void force_drain();

  server_config config_;
  std::string fingerprint_;
  bool ephemeral_ = false;
  std::unique_ptr<ssl::context> tls_;
  connection_slots slots_;
  std::vector<std::unique_ptr<worker>> workers_;
  std::atomic<std::uint64_t> next_id_{0};
};

}  // namespace closenotify::server
