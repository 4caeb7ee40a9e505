// closenotify-cli's exit codes: one per way a connection can end. connection_lifecycle decides
// which one a connection gets (exit_code()); the README and --help list them.
#pragma once

#include <string_view>

namespace closenotify {

enum exit_code : int {
  exit_clean = 0,             // a clean close, started by either side
  exit_error = 1,             // anything unexpected
  exit_usage = 2,             // bad options
  exit_connect_failed = 3,    // name not resolved, connection refused or unreachable
  exit_connect_timeout = 4,   // TCP connect or TLS handshake not done within --connect-timeout
  exit_handshake_failed = 5,  // TLS handshake refused (protocol version, ciphers, client certificate)
  exit_verify_failed = 6,     // the server's certificate or name could not be verified
  exit_truncated = 7,         // the server closed TCP without close_notify while data could still come
  exit_reset = 8,             // the connection was reset
  exit_shutdown_timeout = 9,  // the close did not finish in time: no answer, or the server stopped reading
  exit_protocol_error = 10,   // the server broke TLS
  exit_idle_timeout = 11,     // nothing moved for --idle-timeout
  exit_websocket_closed = 12,  // the server's WebSocket close frame had a code other than 1000
  exit_upgrade_refused = 13,   // the server answered the WebSocket upgrade with an HTTP status, not 101
  exit_http_status = 14,       // https://: a whole response, but not 2xx
  exit_interrupted = 130,     // cut by the user (a second Ctrl-C, or one before the connection was up)
};

std::string_view exit_code_table() noexcept;

}  // namespace closenotify
