#include "closenotify/exit_code.hpp"

namespace closenotify {

std::string_view exit_code_table() noexcept {
  return "Exit codes:\n"
         "   0  clean close, by either side (close_notify exchanged); also the server closing\n"
         "      without close_notify when nothing more was owed to us: after its BYE, or after\n"
         "      we quit (Ctrl-C, SIGTERM, /quit) or stdout was closed\n"
         "   1  unexpected error\n"
         "   2  usage error\n"
         "   3  connect failed (name not resolved, refused, unreachable)\n"
         "   4  connect timeout (TCP connect or TLS handshake)\n"
         "   5  TLS handshake failed\n"
         "   6  certificate verification failed (the reason is printed)\n"
         "   7  the server closed without close_notify while data could still come (also\n"
         "      after the end of our input): the data may be incomplete\n"
         "   8  connection reset\n"
         "   9  the close did not finish within --shutdown-timeout: no close_notify back, or the\n"
         "      server stopped reading what we still had to send\n"
         "  10  TLS protocol error\n"
         "  11  idle timeout (--idle-timeout)\n"
         "  12  wss://: the server closed the WebSocket with a code other than 1000 (the code and\n"
         "      reason are printed); 0 needs a close frame 1000 and then close_notify both ways,\n"
         "      and a WebSocket that ends without any close frame is 7\n"
         "  13  wss://: the server refused the WebSocket upgrade (its HTTP status is printed)\n"
         "  14  https://: the whole response came, but its status is not 2xx (it is printed;\n"
         "      the body still goes to stdout); a body cut short is 7\n"
         " 130  cut by a second Ctrl-C or SIGTERM, or by one before the connection was up:\n"
         "      no clean close\n";
}

}  // namespace closenotify
