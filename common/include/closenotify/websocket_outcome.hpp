// How a closenotify-cli WebSocket (wss://) ended, beyond what TLS says: the upgrade's HTTP
// status, the close frames, the messages. websocket_exit() turns it and the connection's
// own exit code (connection_lifecycle::exit_status) into the one the user gets.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "closenotify/exit_code.hpp"

namespace closenotify {

struct websocket_outcome {
  unsigned upgrade_status = 0;                 // the answer to our upgrade: 101, a refusal, 0 for none
  std::string upgrade_reason;                  // the refusal's reason phrase
  std::optional<std::uint16_t> close_code;     // the server's close frame (its answer to ours, or its own)
  std::string close_reason;                    // what that frame said
  bool we_closed_first = false;                // our close frame went out before the server's came
  bool protocol_violation = false;             // the server broke RFC 6455 (its upgrade answer, or a frame)
  std::uint64_t messages_sent = 0;
  std::uint64_t messages_received = 0;
  std::uint64_t payload_bytes_sent = 0;  // the messages' payloads, without framing
  std::uint64_t payload_bytes_received = 0;

  bool upgraded() const noexcept { return upgrade_status == 101; }
};

// RFC 6455 7.4.1: 1000 is the only normal closure. The transport's verdict (truncation,
// reset, timeouts, a cut) comes first; a refused upgrade is what the user needs to know
// whatever TLS did after it.
exit_code websocket_exit(exit_code transport, const websocket_outcome& outcome) noexcept;

}  // namespace closenotify
