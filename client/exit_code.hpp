// closenotify-cli's exit codes: one per way a connection can end (README and --help list them).
#pragma once

#include <string_view>

#include "closenotify/close_reason.hpp"

namespace closenotify::cli {

enum exit_code : int {
  exit_clean = 0,             // a clean close, started by either side
  exit_error = 1,             // anything unexpected
  exit_usage = 2,             // bad options
  exit_connect_failed = 3,    // name not resolved, connection refused or unreachable
  exit_connect_timeout = 4,   // TCP connect or TLS handshake not done within --connect-timeout
  exit_handshake_failed = 5,  // TLS handshake refused (protocol version, ciphers, client certificate)
  exit_verify_failed = 6,     // the server's certificate or name could not be verified
  exit_truncated = 7,         // the server closed TCP without close_notify: data may be incomplete
  exit_reset = 8,             // the connection was reset
  exit_shutdown_timeout = 9,  // the close did not finish in time: no answer, or the server stopped reading
  exit_protocol_error = 10,   // the server broke TLS
  exit_idle_timeout = 11,     // nothing moved for --idle-timeout
};

// How a connection that was established ended. A truncation while the close was already
// under way (after BYE, or after our close_notify) is part of a normal close.
exit_code exit_code_for(close_reason reason, bool close_under_way) noexcept;

std::string_view exit_code_table() noexcept;

}  // namespace closenotify::cli
