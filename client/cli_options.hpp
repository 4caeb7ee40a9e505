// Command-line options of closenotify-cli (Boost.Program_options).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "closenotify/tls_context.hpp"

namespace closenotify::cli {

// wss://HOST[:PORT]/PATH: a WebSocket over the same verified TLS.
struct websocket_config {
  bool enabled = false;
  std::string target = "/";  // the request target: path and query
  std::string host;          // the Host header: HOST, with :PORT unless 443
  bool binary = false;       // stdin in --chunk byte binary messages; else each line a text message
  std::size_t chunk = 16 * 1024;
  std::vector<std::pair<std::string, std::string>> headers;  // --header 'Name: value'
  std::string subprotocol;
  std::string origin;
};

// https://HOST[:PORT]/PATH: one request, its body to stdout.
struct https_config {
  bool enabled = false;
  std::string target = "/";
  std::string host;  // the Host header
  bool include = false;  // the status line and header fields before the body
  bool has_data = false; // POST --data
  std::string data;
  std::vector<std::pair<std::string, std::string>> headers;
};

struct cli_config {
  std::string host;
  std::uint16_t port = 4433;
  std::string sni;  // the name sent and checked; default: host
  client_tls_config tls;
  bool raw = false;
  std::chrono::milliseconds connect_timeout{10'000};
  std::chrono::milliseconds shutdown_timeout{5'000};
  std::chrono::milliseconds idle_timeout{0};  // 0: none
  std::chrono::milliseconds eof_wait{1'000};  // TLS 1.2: quiet time after the end of input
  bool quiet = false;
  bool json = false;
  websocket_config websocket;
  https_config https;
};

struct options_exit {
  int code;
  std::string message;
};

std::variant<cli_config, options_exit> parse_options(int argc, const char* const argv[]);

}  // namespace closenotify::cli
