// closenotify-cli's exit code for an https:// request: the transport's verdict and the
// response (RFC 9112 6.3: its length from Content-Length, chunked framing, or the close).
#include <boost/test/unit_test.hpp>

#include "closenotify/https_outcome.hpp"

using namespace closenotify;

namespace {
https_outcome response(unsigned status, bool complete) {
  https_outcome o;
  o.status = status;
  o.complete = complete;
  return o;
}
}  // namespace

BOOST_AUTO_TEST_SUITE(https_exit_codes)

BOOST_AUTO_TEST_CASE(each_ending_has_its_code) {
  struct row {
    const char* story;
    exit_code transport;
    https_outcome outcome;
    exit_code want;
  };
  https_outcome garbage;
  garbage.bad_response = true;
  const row rows[] = {
      {"200, whole, then close_notify both ways", exit_clean, response(200, true), exit_clean},
      {"204, whole", exit_clean, response(204, true), exit_clean},
      {"200, whole, then TCP cut without close_notify", exit_truncated, response(200, true), exit_truncated},
      {"200, whole, then a reset", exit_reset, response(200, true), exit_reset},
      {"404, whole", exit_clean, response(404, true), exit_http_status},
      {"503, whole, then TCP cut", exit_truncated, response(503, true), exit_http_status},
      {"301, whole", exit_clean, response(301, true), exit_http_status},
      {"200, body cut short, then a clean close_notify", exit_clean, response(200, false), exit_truncated},
      {"200, body cut short by a reset", exit_reset, response(200, false), exit_truncated},
      {"no response, close_notify", exit_clean, https_outcome{}, exit_truncated},
      {"no response, reset", exit_reset, https_outcome{}, exit_reset},
      {"no response within the deadline", exit_connect_timeout, https_outcome{}, exit_connect_timeout},
      {"the certificate did not verify", exit_verify_failed, https_outcome{}, exit_verify_failed},
      {"not HTTP", exit_clean, garbage, exit_protocol_error},
  };
  for (const row& r : rows) BOOST_TEST(https_exit(r.transport, r.outcome) == r.want, r.story);
}

BOOST_AUTO_TEST_SUITE_END()
