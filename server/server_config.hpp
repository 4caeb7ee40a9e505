// Everything the server's options decide, after parsing and validation.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>

#include "closenotify/connection_lifecycle.hpp"
#include "closenotify/log.hpp"

namespace closenotify::server {

using std::chrono::milliseconds;

struct http_limits {
  std::size_t max_header = 8 * 1024;        // 431 beyond
  std::uint64_t max_body = 64 * 1024;       // 413 beyond
  milliseconds header_timeout{20'000};      // a request's first byte to its end
  milliseconds keepalive_timeout{75'000};   // waiting for the next request
  unsigned max_requests = 1000;             // per connection; the last is answered with Connection: close
};

struct websocket_limits {
  std::size_t max_message = 1024 * 1024;  // close 1009 beyond
  milliseconds ping_interval{30'000};     // without input, we ping; as long again without an answer, we close
};

struct session_limits {
  lifecycle_limits deadlines{};  // handshake, idle, write, shutdown, linger, the drain's handshake grace
  std::size_t max_line = 64 * 1024;
  std::size_t max_queue = 256 * 1024;  // bytes queued for the peer before we stop reading from it
  http_limits http{};
  websocket_limits websocket{};
};

struct server_config {
  std::string host = "127.0.0.1";
  std::uint16_t port = 4433;
  std::string cert_file;  // both empty: an ephemeral self-signed certificate
  std::string key_file;
  std::string cert_out;  // where to write the ephemeral certificate (PEM), if anywhere
  std::string client_ca_file;
  bool require_client_cert = false;
  unsigned session_tickets = 0;  // TLS 1.3 tickets per full handshake (0: no resumption)
  unsigned threads = 1;
  std::size_t max_connections = 0;  // 0: no limit but the file descriptors
  milliseconds drain_timeout{10'000};
  session_limits session{};
  log_level level = log_level::info;
  log_format format = log_format::text;
};

}  // namespace closenotify::server
