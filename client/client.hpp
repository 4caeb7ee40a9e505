// One closenotify-cli connection, from connect to the exit code.
#pragma once

#include "cli_options.hpp"

namespace closenotify::cli {

// Connects, pipes stdin to the server and the server to stdout, ends through common's close
// path, and returns the exit code (exit_code.hpp).
int run_client(const cli_config& config);

}  // namespace closenotify::cli
