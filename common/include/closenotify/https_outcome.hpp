// How a closenotify-cli HTTPS request (https://) ended, beyond what TLS says: the response's
// status and whether it came whole. https_exit() turns it and the connection's own exit
// code (connection_lifecycle::exit_status) into the one the user gets.
#pragma once

#include <cstdint>
#include <string>

#include "closenotify/exit_code.hpp"

namespace closenotify {

struct https_outcome {
  unsigned status = 0;          // 0: no response header came
  std::string reason;           // its reason phrase
  bool complete = false;        // the whole body, by Content-Length or chunked framing (or the close)
  bool bad_response = false;    // not HTTP/1.1 as RFC 9112 frames it
  std::uint64_t body_bytes = 0;
};

// Exit 0 needs a whole 2xx response and a clean end of TLS. A body cut short is 7 whatever
// TLS did; a whole answer with another status is 14, as curl --fail says 22.
exit_code https_exit(exit_code transport, const https_outcome& outcome) noexcept;

}  // namespace closenotify
