// What one closenotify-bench run measures, after option parsing.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <string>

namespace closenotify::bench {

enum class mode { handshake, bulk, latency, idle, drain, ws_echo, ws_hold };

struct bench_config {
  mode what = mode::handshake;
  std::string host = "127.0.0.1";
  std::uint16_t port = 4433;
  std::string cafile;  // empty: no verification (a benchmark, not a trust decision)
  std::size_t connections = 1;
  std::chrono::milliseconds duration{5000};  // handshake, latency, idle, ws-echo, ws-hold
  std::uint64_t bytes = 64ull << 20;         // bulk: per connection, each way
  std::size_t message_size = 64;             // latency, ws-echo
  std::string ws_path = "/ws";               // ws-echo, ws-hold: the WebSocket's request target
  pid_t server_pid = 0;                      // drain: who gets SIGTERM
  bool progress = true;
};

}  // namespace closenotify::bench
