#include "closenotify/https_outcome.hpp"

namespace closenotify {

exit_code https_exit(exit_code transport, const https_outcome& outcome) noexcept {
  if (outcome.bad_response) return exit_protocol_error;
  if (outcome.status == 0) return transport == exit_clean ? exit_truncated : transport;  // no answer at all
  if (!outcome.complete) return exit_truncated;
  if (outcome.status < 200 || outcome.status > 299) return exit_http_status;
  return transport;
}

}  // namespace closenotify
