// closenotify-cli's exit code for a wss:// connection: the transport's verdict, the upgrade's
// answer, and the close frames (RFC 6455 7.4.1: 1000 is the only normal closure).
#include <boost/test/unit_test.hpp>

#include "closenotify/websocket_outcome.hpp"

using namespace closenotify;

namespace {
websocket_outcome upgraded(std::optional<std::uint16_t> close_code) {
  websocket_outcome o;
  o.upgrade_status = 101;
  o.close_code = close_code;
  return o;
}
websocket_outcome refused(unsigned status) {
  websocket_outcome o;
  o.upgrade_status = status;
  return o;
}
}  // namespace

BOOST_AUTO_TEST_SUITE(websocket_exit_codes)

BOOST_AUTO_TEST_CASE(each_ending_has_its_code) {
  struct row {
    const char* story;
    exit_code transport;
    websocket_outcome outcome;
    exit_code want;
  };
  const row rows[] = {
      {"close 1000 either way, then close_notify both ways", exit_clean, upgraded(1000), exit_clean},
      {"the server closed with 1001 (going away)", exit_clean, upgraded(1001), exit_websocket_closed},
      {"the server closed with an application's code", exit_clean, upgraded(4000), exit_websocket_closed},
      {"close 1000, then TCP ended without close_notify", exit_truncated, upgraded(1000), exit_truncated},
      {"TLS closed cleanly, but no close frame ever came", exit_clean, upgraded(std::nullopt), exit_truncated},
      {"reset in the middle of a message", exit_reset, upgraded(std::nullopt), exit_reset},
      {"our close frame unanswered within --shutdown-timeout", exit_shutdown_timeout, upgraded(std::nullopt),
       exit_shutdown_timeout},
      {"a second Ctrl-C cut the close", exit_interrupted, upgraded(std::nullopt), exit_interrupted},
      {"the upgrade refused with 403, then a clean TLS close", exit_clean, refused(403), exit_upgrade_refused},
      {"the upgrade refused with 426, then TCP cut", exit_truncated, refused(426), exit_upgrade_refused},
      {"TLS closed before any answer to the upgrade", exit_clean, websocket_outcome{}, exit_truncated},
      {"the server sent a reserved opcode; Beast closed with 1002", exit_clean,
       [] {
         auto o = upgraded(1002);
         o.protocol_violation = true;
         return o;
       }(),
       exit_protocol_error},
      {"a 101 without Sec-WebSocket-Accept", exit_clean,
       [] {
         websocket_outcome o;
         o.protocol_violation = true;
         return o;
       }(),
       exit_protocol_error},
      {"the connect failed: no upgrade was ever asked", exit_connect_failed, websocket_outcome{}, exit_connect_failed},
      {"the certificate did not verify", exit_verify_failed, websocket_outcome{}, exit_verify_failed},
  };
  for (const row& r : rows) BOOST_TEST(websocket_exit(r.transport, r.outcome) == r.want, r.story);
}

BOOST_AUTO_TEST_SUITE_END()
