// How closenotify-cli tells the user how the connection ended: one calm status line for an
// ordinary ending, a complaint otherwise, and with --json one object on stderr.
#pragma once

#include "cli_options.hpp"
#include "connection.hpp"
#include "terminal.hpp"

namespace closenotify::cli {

// Says how the connection ended; returns the exit code (the lifecycle's).
int report(connection& conn, const cli_config& config, const terminal& term);

}  // namespace closenotify::cli
