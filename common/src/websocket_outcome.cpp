#include "closenotify/websocket_outcome.hpp"

namespace closenotify {

exit_code websocket_exit(exit_code transport, const websocket_outcome& outcome) noexcept {
  if (outcome.upgrade_status != 0 && !outcome.upgraded()) return exit_upgrade_refused;
  if (transport != exit_clean) return transport;
  if (outcome.protocol_violation) return exit_protocol_error;
  if (!outcome.upgraded()) return exit_truncated;  // TLS ended before any answer to the upgrade
  // A WebSocket that ends without a close frame is cut short, whatever TLS said after it.
  if (!outcome.close_code) return exit_truncated;
  return *outcome.close_code == 1000 ? exit_clean : exit_websocket_closed;
}

}  // namespace closenotify
