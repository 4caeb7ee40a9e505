#include "exit_code.hpp"

namespace closenotify::cli {

exit_code exit_code_for(close_reason reason, bool close_under_way) noexcept {
  switch (reason) {
    case close_reason::clean:
    case close_reason::local_quit:
    case close_reason::server_shutdown: return exit_clean;
    case close_reason::peer_truncated: return close_under_way ? exit_clean : exit_truncated;
    case close_reason::peer_reset: return exit_reset;
    case close_reason::shutdown_timeout: return exit_shutdown_timeout;
    case close_reason::protocol_error: return exit_protocol_error;
    case close_reason::idle_timeout: return exit_idle_timeout;
    case close_reason::handshake_failed: return exit_handshake_failed;
    case close_reason::handshake_timeout: return exit_connect_timeout;
    case close_reason::write_timeout:
    case close_reason::error: return exit_error;
  }
  return exit_error;
}

std::string_view exit_code_table() noexcept {
  return "Exit codes:\n"
         "   0  clean close, by either side (close_notify exchanged)\n"
         "   1  unexpected error\n"
         "   2  usage error\n"
         "   3  connect failed (name not resolved, refused, unreachable)\n"
         "   4  connect timeout (TCP connect or TLS handshake)\n"
         "   5  TLS handshake failed\n"
         "   6  certificate verification failed (the reason is printed)\n"
         "   7  the server closed without close_notify: data may be incomplete\n"
         "   8  connection reset\n"
         "   9  the close did not finish within --shutdown-timeout: no close_notify back, or the\n"
         "      server stopped reading what we still had to send\n"
         "  10  TLS protocol error\n"
         "  11  idle timeout (--idle-timeout)\n";
}

}  // namespace closenotify::cli
