// Command-line options of closenotify-server (Boost.Program_options).
#pragma once

#include <string>
#include <variant>

#include "server_config.hpp"

namespace closenotify::server {

struct options_exit {
  int code;             // 0 for --help/--version, 2 for a usage error
  std::string message;  // for stdout (code 0) or stderr (code 2)
};

std::variant<server_config, options_exit> parse_options(int argc, const char* const argv[]);

}  // namespace closenotify::server
