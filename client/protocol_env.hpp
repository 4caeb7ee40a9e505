// What a protocol over a closenotify-cli connection (wss://, https://) shares with the
// connection: its TLS stream, lifecycle, standard input and output, and the cancel signals
// the lifecycle's actions fire.
#pragma once

#include <functional>

#include "cli_options.hpp"
#include "closenotify/asio.hpp"
#include "closenotify/connection_lifecycle.hpp"
#include "closenotify/tls_stream.hpp"
#include "stdin_source.hpp"
#include "stdout_sink.hpp"
#include "terminal.hpp"

namespace closenotify::cli {

struct protocol_env {
  const cli_config& config;
  tls_stream& stream;
  connection_lifecycle& lifecycle;
  stdin_source& input;
  stdout_sink& out;
  terminal& term;
  asio::cancellation_signal& read_cancel;
  asio::cancellation_signal& write_cancel;
  std::function<void(lifecycle_actions)> apply;  // the connection carries out the lifecycle's actions
};

}  // namespace closenotify::cli
