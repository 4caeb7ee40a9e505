// One thread's share of the server: its own io_context (so a session needs no strand and no
// lock), its acceptor on the shared SO_REUSEPORT port, its sessions and its counters. The
// server talks to it only through the calls below, which post to the worker's thread.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>

#include "closenotify/asio.hpp"
#include "closenotify/counters.hpp"
#include "connection_slots.hpp"
#include "server_config.hpp"
#include "session_env.hpp"
#include "session_set.hpp"

namespace closenotify::server {

class worker {
 public:
  worker(ssl::context& tls, const server_config& config, connection_slots& slots, const stats_source& stats,
         std::atomic<std::uint64_t>& connection_ids);
  worker(const worker&) = delete;
  worker& operator=(const worker&) = delete;

  // Binds this worker's acceptor (SO_REUSEPORT); throws std::runtime_error with a message.
  void open(const tcp::endpoint& endpoint);
  tcp::endpoint local_endpoint() const { return acceptor_.local_endpoint(); }

  // The thread's body: accepts and serves until the drain has ended every session.
  void run();

  // From any thread.
  void begin_drain();  // stop accepting, stop every session (BYE shutting-down, close_notify)
  void force_drain();  // the drain deadline: cut what is left
  void slot_freed();   // the listener may be waiting at --max-connections
  counters_snapshot snapshot() const noexcept { return counts_.snapshot(); }

 private:
  asio::awaitable<void> listen();

  ssl::context& tls_;
  const server_config& config_;
  connection_slots& slots_;
  const stats_source& stats_;
  std::atomic<std::uint64_t>& connection_ids_;
  asio::io_context ioc_{1};  // run by exactly one thread
  tcp::acceptor acceptor_{ioc_};
  asio::steady_timer slot_freed_{ioc_};  // the listener waits here while at --max-connections
  counters counts_;
  session_set sessions_;
  bool draining_ = false;
  // Every session of this thread reads into it, once its stream has something to read.
  std::array<char, 16 * 1024> read_scratch_;
  const session_env env_;  // what each of its sessions gets
};

}  // namespace closenotify::server
