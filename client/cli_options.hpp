// Command-line options of closenotify-cli (Boost.Program_options).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <variant>

#include "closenotify/tls_context.hpp"

namespace closenotify::cli {

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
};

struct options_exit {
  int code;
  std::string message;
};

std::variant<cli_config, options_exit> parse_options(int argc, const char* const argv[]);

}  // namespace closenotify::cli
