// connection_lifecycle as tables: events in, actions and verdicts out. No sockets, no sleeps:
// the clock is a number the test moves. Suites follow the failure catalogue (DESIGN.md);
// `races` holds the interleavings a driver can produce, `client_exit_codes` every code.
#include <boost/test/unit_test.hpp>

#include <functional>
#include <string>
#include <vector>

#include <boost/asio/error.hpp>
#include <boost/asio/ssl/error.hpp>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "closenotify/connection_lifecycle.hpp"

using namespace closenotify;
using namespace std::chrono_literals;
namespace error = boost::asio::error;
using act = lifecycle_actions;
using time_point = connection_lifecycle::time_point;
using error_code = boost::system::error_code;

namespace {
const time_point t0 = time_point{} + 1h;

const error_code eof = error::eof;
const error_code truncated = boost::asio::ssl::error::stream_truncated;
const error_code reset = error::connection_reset;
const error_code broken_pipe = error::broken_pipe;
const error_code aborted = error::operation_aborted;

error_code ssl_error(int reason) {
  return {static_cast<int>(ERR_PACK(ERR_LIB_SSL, 0, reason)), error::get_ssl_category()};
}
const error_code bad_record_mac = ssl_error(SSL_R_DECRYPTION_FAILED_OR_BAD_RECORD_MAC);
const error_code data_after_close_notify = ssl_error(SSL_R_APPLICATION_DATA_AFTER_CLOSE_NOTIFY);

lifecycle_limits test_limits() {
  lifecycle_limits l;
  l.handshake = 10s;
  l.idle = 300s;
  l.write = 30s;
  l.shutdown = 5s;
  l.linger = 2s;
  l.stop_grace = 1s;
  l.eof_wait = 1s;
  return l;
}

lifecycle_limits client_limits() {
  lifecycle_limits l = test_limits();
  l.idle = 0s;  // closenotify-cli's default: no idle timeout
  l.write = 0s;
  l.linger = 1s;
  return l;
}

// One connection and the limits it refers to, with the driver's timer armed as a driver would.
struct subject {
  explicit subject(lifecycle_role role, lifecycle_limits l = test_limits()) : limits(l), lc(role, limits, t0) {
    lc.next_wakeup(t0);
  }
  subject(const subject&) = delete;  // lc refers to this subject's limits
  lifecycle_limits limits;
  connection_lifecycle lc;

  // Past the handshake at t0, a read pending (the driver's first wait for input).
  subject& established(bool tls13 = true) {
    lc.read_started();
    lc.handshake_done(t0, tls13);
    lc.next_wakeup(t0);
    lc.read_started();
    return *this;
  }
  // The close path as graceful_close runs it; `shutdown` is what async_shutdown reports.
  std::vector<close_step> close(time_point now, error_code shutdown = {}) {
    lc.reading_ended(now);
    std::vector<close_step> steps;
    for (close_step step = lc.begin_close(now); step != close_step::done;) {
      steps.push_back(step);
      switch (step) {
        case close_step::tls_shutdown: step = lc.shutdown_ended(now, shutdown); break;
        case close_step::linger: step = lc.linger_ended(now); break;
        case close_step::close_socket: step = lc.socket_closed(now); break;
        case close_step::done: break;
      }
    }
    return steps;
  }
};

// A server, or a client with closenotify-cli's limits, past its handshake at t0.
struct server_at_work : subject {
  server_at_work() : subject(lifecycle_role::server) { established(); }
};
struct client_at_work : subject {
  explicit client_at_work(bool tls13 = true) : subject(lifecycle_role::client, client_limits()) { established(tls13); }
};

const std::vector<close_step> shutdown_only{close_step::tls_shutdown, close_step::close_socket};
const std::vector<close_step> shutdown_then_linger{close_step::tls_shutdown, close_step::linger, close_step::close_socket};
const std::vector<close_step> linger_only{close_step::linger, close_step::close_socket};
const std::vector<close_step> close_only{close_step::close_socket};

std::string steps_text(const std::vector<close_step>& steps) {
  std::string text;
  for (auto s : steps) text += std::to_string(static_cast<int>(s)) + " ";
  return text;
}

// Each evaluates `got` once: it is an event.
#define CHECK_ACTIONS(got, want)                                                   \
  do {                                                                             \
    const lifecycle_actions got_ = (got);                                          \
    BOOST_TEST((got_ == (want)), to_string(got_) << " != " << to_string(want));    \
  } while (false)
#define CHECK_REASON(lc, want)                                                                        \
  do {                                                                                                \
    const auto got_ = (lc).reason();                                                                  \
    BOOST_TEST((got_ == (want)), (got_ ? to_string(*got_) : "none") << " != " << to_string(want));    \
  } while (false)
#define CHECK_STEPS(got, want)                                                         \
  do {                                                                                 \
    const std::vector<close_step> got_ = (got);                                        \
    BOOST_TEST((got_ == (want)), steps_text(got_) << "!= " << steps_text(want));       \
  } while (false)
}  // namespace

BOOST_AUTO_TEST_SUITE(lifecycle)

BOOST_AUTO_TEST_SUITE(F01_peer_close_notify)

BOOST_AUTO_TEST_CASE(the_peers_close_notify_is_clean_and_answered_without_a_linger) {
  server_at_work s;
  CHECK_ACTIONS(s.lc.read_ended(t0 + 1s, eof), act{});
  BOOST_TEST(!s.lc.reading_wanted());
  BOOST_TEST(s.lc.tls_usable());  // ours still has to go out
  CHECK_STEPS(s.close(t0 + 1s), shutdown_only);
  CHECK_REASON(s.lc, close_reason::clean);
  BOOST_TEST(s.lc.detail().empty());
  BOOST_TEST((s.lc.phase() == lifecycle_phase::closed));
}

BOOST_AUTO_TEST_CASE(the_peers_quit_leaves_the_reason_to_the_close_notify_exchange) {
  server_at_work s;
  s.lc.peer_finished();  // /quit: BYE, then our close_notify
  BOOST_TEST(!s.lc.reading_wanted());
  CHECK_STEPS(s.close(t0 + 1s, eof), shutdown_only);
  CHECK_REASON(s.lc, close_reason::clean);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(F02_peer_truncates)

BOOST_AUTO_TEST_CASE(a_tcp_end_without_close_notify_is_peer_truncated_and_lingers_without_tls) {
  server_at_work s;
  s.lc.read_ended(t0 + 1s, truncated);
  BOOST_TEST(!s.lc.tls_usable());
  CHECK_STEPS(s.close(t0 + 1s), linger_only);
  CHECK_REASON(s.lc, close_reason::peer_truncated);
  BOOST_TEST(s.lc.detail().empty());  // an ordinary ending needs no explanation
}

BOOST_AUTO_TEST_CASE(a_truncated_answer_to_our_close_notify_is_peer_truncated) {
  server_at_work s;
  s.lc.stop(t0 + 1s, close_reason::server_shutdown);
  s.lc.read_ended(t0 + 1s, aborted);
  CHECK_STEPS(s.close(t0 + 1s, truncated), shutdown_then_linger);
  CHECK_REASON(s.lc, close_reason::server_shutdown);  // the first reason stays
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(F03_peer_resets)

BOOST_AUTO_TEST_CASE(a_reset_mid_read_ends_at_once_with_neither_close_notify_nor_linger) {
  server_at_work s;
  s.lc.read_ended(t0 + 1s, reset);
  CHECK_STEPS(s.close(t0 + 1s), close_only);
  CHECK_REASON(s.lc, close_reason::peer_reset);
}

BOOST_AUTO_TEST_CASE(a_reset_mid_write_cancels_the_pending_read) {
  server_at_work s;
  CHECK_ACTIONS(s.lc.write_failed(t0 + 1s, reset), act::cancel_read | act::wake_reader);
  BOOST_TEST(!s.lc.tls_usable());
  CHECK_STEPS(s.close(t0 + 1s), close_only);
  CHECK_REASON(s.lc, close_reason::peer_reset);
}

BOOST_AUTO_TEST_CASE(a_reset_answering_our_close_notify_skips_the_linger) {
  server_at_work s;
  s.lc.stop(t0, close_reason::idle_timeout);
  CHECK_STEPS(s.close(t0, reset), shutdown_only);
  CHECK_REASON(s.lc, close_reason::idle_timeout);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(F04_lingering_close)

BOOST_AUTO_TEST_CASE(a_peer_still_sending_after_our_close_notify_is_drained_by_the_linger) {
  server_at_work s;
  s.lc.stop(t0, close_reason::server_shutdown);
  CHECK_STEPS(s.close(t0, data_after_close_notify), shutdown_then_linger);
  CHECK_REASON(s.lc, close_reason::server_shutdown);
  BOOST_TEST(s.lc.detail() == "peer data after our close_notify discarded");
}

BOOST_AUTO_TEST_CASE(a_peer_quit_answered_with_data_after_close_notify_is_clean_with_a_detail) {
  server_at_work s;
  s.lc.peer_finished();
  CHECK_STEPS(s.close(t0, data_after_close_notify), shutdown_then_linger);
  CHECK_REASON(s.lc, close_reason::clean);
  BOOST_TEST(s.lc.detail() == "peer data after our close_notify discarded");
}

BOOST_AUTO_TEST_CASE(the_linger_has_its_own_deadline) {
  server_at_work s;
  s.lc.read_ended(t0, truncated);
  s.lc.reading_ended(t0);
  BOOST_TEST((s.lc.begin_close(t0) == close_step::linger));
  BOOST_TEST((s.lc.next_wakeup(t0) == t0 + 2s));
  CHECK_ACTIONS(s.lc.tick(t0 + 2s - 1ms), act{});
  CHECK_ACTIONS(s.lc.tick(t0 + 2s), act::cancel_close);
  CHECK_ACTIONS(s.lc.tick(t0 + 3s), act{});  // once
  BOOST_TEST((s.lc.linger_ended(t0 + 2s) == close_step::close_socket));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(F05_write_to_vanished_peer)

BOOST_AUTO_TEST_CASE(a_broken_pipe_is_peer_reset_and_ends_tls) {
  server_at_work s;
  s.lc.write_failed(t0, broken_pipe);
  BOOST_TEST(!s.lc.tls_usable());
  BOOST_TEST(!s.lc.reading_wanted());
  CHECK_STEPS(s.close(t0), close_only);
  CHECK_REASON(s.lc, close_reason::peer_reset);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(F08_shutdown_deadline)

BOOST_AUTO_TEST_CASE(an_unanswered_close_notify_is_shutdown_timeout_then_lingers) {
  server_at_work s;
  s.lc.peer_finished();
  s.lc.reading_ended(t0);
  BOOST_TEST((s.lc.begin_close(t0) == close_step::tls_shutdown));
  BOOST_TEST((s.lc.next_wakeup(t0) == t0 + 5s));
  CHECK_ACTIONS(s.lc.tick(t0 + 4s), act{});
  CHECK_ACTIONS(s.lc.tick(t0 + 5s), act::cancel_close);
  BOOST_TEST((s.lc.shutdown_ended(t0 + 5s, aborted) == close_step::linger));
  CHECK_REASON(s.lc, close_reason::shutdown_timeout);
  BOOST_TEST(s.lc.detail() == "no close_notify from the peer");
}

BOOST_AUTO_TEST_CASE(a_shutdown_cut_by_the_drain_deadline_keeps_the_drains_reason) {
  server_at_work s;
  s.lc.stop(t0, close_reason::server_shutdown);
  s.lc.reading_ended(t0);
  BOOST_TEST((s.lc.begin_close(t0) == close_step::tls_shutdown));
  CHECK_ACTIONS(s.lc.abort(t0 + 1s), act::close_socket | act::wake_reader);
  BOOST_TEST((s.lc.shutdown_ended(t0 + 1s, aborted) == close_step::close_socket));
  CHECK_ACTIONS(s.lc.tick(t0 + 6s), act{});  // nothing to cancel on a closed socket
  CHECK_REASON(s.lc, close_reason::server_shutdown);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(F10_not_tls)

BOOST_AUTO_TEST_CASE(a_failed_handshake_lingers_without_tls_and_says_no_goodbye) {
  subject s(lifecycle_role::server);
  s.lc.read_started();
  s.lc.handshake_failed(t0 + 1s, bad_record_mac);
  CHECK_ACTIONS(s.lc.reading_ended(t0 + 1s), act{});
  CHECK_STEPS(s.close(t0 + 1s), linger_only);
  CHECK_REASON(s.lc, close_reason::handshake_failed);
  BOOST_TEST(!s.lc.detail().empty());
}

BOOST_AUTO_TEST_CASE(a_slow_client_hello_is_handshake_timeout_at_the_deadline) {
  subject s(lifecycle_role::server);
  s.lc.read_started();
  BOOST_TEST((s.lc.next_wakeup(t0) == t0 + 10s));
  CHECK_ACTIONS(s.lc.tick(t0 + 9s), act{});
  CHECK_ACTIONS(s.lc.tick(t0 + 10s), act::cancel_read);
  s.lc.handshake_failed(t0 + 10s, aborted);  // the cancelled handshake
  CHECK_STEPS(s.close(t0 + 10s), linger_only);
  CHECK_REASON(s.lc, close_reason::handshake_timeout);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(F11_idle_peer)

BOOST_AUTO_TEST_CASE(idle_expiry_stops_reading_and_asks_for_a_goodbye) {
  server_at_work s;
  BOOST_TEST((s.lc.next_wakeup(t0) == t0 + 30s));  // at least once per write timeout
  CHECK_ACTIONS(s.lc.tick(t0 + 300s - 1ms), act{});
  CHECK_ACTIONS(s.lc.tick(t0 + 300s), act::cancel_read | act::wake_reader);
  s.lc.read_ended(t0 + 300s, aborted);
  CHECK_ACTIONS(s.lc.reading_ended(t0 + 300s), act::say_goodbye);
  CHECK_STEPS(s.close(t0 + 300s), shutdown_only);
  CHECK_REASON(s.lc, close_reason::idle_timeout);
}

BOOST_AUTO_TEST_CASE(input_and_output_both_postpone_the_idle_deadline) {
  server_at_work s;
  s.lc.input(t0 + 100s);
  CHECK_ACTIONS(s.lc.tick(t0 + 300s), act{});
  s.lc.output(t0 + 350s);
  CHECK_ACTIONS(s.lc.tick(t0 + 400s), act{});
  BOOST_TEST((s.lc.next_wakeup(t0 + 400s) == t0 + 430s));
  CHECK_ACTIONS(s.lc.tick(t0 + 650s), act::cancel_read | act::wake_reader);
}

BOOST_AUTO_TEST_CASE(the_idle_deadline_does_not_cut_a_write_that_waits_the_write_deadline_does) {
  server_at_work s;
  s.lc.write_waits(t0 + 299s);
  CHECK_ACTIONS(s.lc.tick(t0 + 300s), act{});
  CHECK_ACTIONS(s.lc.tick(t0 + 329s), act::cancel_write | act::cancel_read | act::wake_reader);
  CHECK_REASON(s.lc, close_reason::write_timeout);
}

BOOST_AUTO_TEST_CASE(a_protocol_deadline_stops_the_connection_as_idle_with_its_detail_and_a_goodbye) {
  server_at_work s;
  s.lc.next_wakeup(t0);
  CHECK_ACTIONS(s.lc.protocol_deadline(t0, 5s, "request header not complete"), act::rearm);  // the first: 5 s < 30 s
  s.lc.next_wakeup(t0);
  s.lc.input(t0 + 4s);  // a trickle does not reset it
  CHECK_ACTIONS(s.lc.tick(t0 + 4s), act{});
  CHECK_ACTIONS(s.lc.tick(t0 + 5s), act::cancel_read | act::wake_reader);
  CHECK_ACTIONS(s.lc.reading_ended(t0 + 5s), act::say_goodbye);
  CHECK_REASON(s.lc, close_reason::idle_timeout);
  BOOST_TEST(s.lc.detail() == "request header not complete");
}

BOOST_AUTO_TEST_CASE(once_a_protocol_deadline_was_set_the_next_ones_cost_no_rearm_and_are_still_on_time) {
  server_at_work s;
  s.lc.protocol_deadline(t0, 5s, "header");
  s.lc.clear_protocol_deadline();
  BOOST_TEST((s.lc.next_wakeup(t0 + 1s) == t0 + 6s));  // the timer wakes at least every 5 s now
  CHECK_ACTIONS(s.lc.protocol_deadline(t0 + 3s, 5s, "header"), act{});  // due at 8 s, armed for 6 s
  CHECK_ACTIONS(s.lc.tick(t0 + 6s), act{});
  BOOST_TEST((s.lc.next_wakeup(t0 + 6s) == t0 + 8s));
  CHECK_ACTIONS(s.lc.tick(t0 + 8s), act::cancel_read | act::wake_reader);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(F12_sigterm_drain)

BOOST_AUTO_TEST_CASE(a_stop_while_serving_cancels_the_read_not_the_writer_and_asks_for_a_goodbye) {
  server_at_work s;
  s.lc.write_waits(t0);
  CHECK_ACTIONS(s.lc.stop(t0 + 1s, close_reason::server_shutdown), act::cancel_read | act::wake_reader);
  BOOST_TEST(s.lc.tls_usable());  // the queue is still flushed
  s.lc.read_ended(t0 + 1s, aborted);
  CHECK_ACTIONS(s.lc.reading_ended(t0 + 1s), act::say_goodbye);
  s.lc.write_resumed();
  CHECK_STEPS(s.close(t0 + 2s, eof), shutdown_only);
  CHECK_REASON(s.lc, close_reason::server_shutdown);
}

BOOST_AUTO_TEST_CASE(a_stop_during_the_handshake_lets_it_finish_within_the_grace_then_says_goodbye) {
  subject s(lifecycle_role::server);
  s.lc.read_started();
  CHECK_ACTIONS(s.lc.stop(t0 + 2s, close_reason::server_shutdown), act::rearm);  // 3 s instead of 10 s
  BOOST_TEST((s.lc.next_wakeup(t0 + 2s) == t0 + 3s));
  s.lc.handshake_done(t0 + 2500ms);
  BOOST_TEST(!s.lc.reading_wanted());
  CHECK_ACTIONS(s.lc.reading_ended(t0 + 2500ms), act::say_goodbye);
  CHECK_STEPS(s.close(t0 + 2500ms, eof), shutdown_only);
  CHECK_REASON(s.lc, close_reason::server_shutdown);
}

BOOST_AUTO_TEST_CASE(a_handshake_that_outlasts_the_grace_is_cut_with_the_drains_reason) {
  subject s(lifecycle_role::server);
  s.lc.read_started();
  s.lc.stop(t0 + 2s, close_reason::server_shutdown);
  s.lc.next_wakeup(t0 + 2s);
  CHECK_ACTIONS(s.lc.tick(t0 + 3s), act::cancel_read);
  s.lc.handshake_failed(t0 + 3s, aborted);
  CHECK_STEPS(s.close(t0 + 3s), linger_only);
  CHECK_REASON(s.lc, close_reason::server_shutdown);
}

BOOST_AUTO_TEST_CASE(a_drain_that_begins_during_a_close_leaves_the_close_its_own_outcome) {
  server_at_work s;
  s.lc.peer_finished();
  s.lc.reading_ended(t0);
  BOOST_TEST((s.lc.begin_close(t0) == close_step::tls_shutdown));
  CHECK_ACTIONS(s.lc.stop(t0, close_reason::server_shutdown), act{});
  BOOST_TEST((s.lc.shutdown_ended(t0, eof) == close_step::close_socket));
  s.lc.socket_closed(t0);
  CHECK_REASON(s.lc, close_reason::clean);
}

BOOST_AUTO_TEST_CASE(the_drain_deadline_cuts_at_once_and_only_once) {
  server_at_work s;
  s.lc.stop(t0, close_reason::server_shutdown);
  CHECK_ACTIONS(s.lc.abort(t0 + 10s), act::close_socket | act::wake_reader);
  CHECK_ACTIONS(s.lc.abort(t0 + 10s), act{});
  BOOST_TEST(!s.lc.tls_usable());
  CHECK_STEPS(s.close(t0 + 10s), close_only);
  CHECK_REASON(s.lc, close_reason::server_shutdown);
}

BOOST_AUTO_TEST_CASE(a_drain_that_meets_a_quit_says_no_second_goodbye) {
  server_at_work s;
  s.lc.read_resumed();
  s.lc.peer_finished();  // /quit: BYE is queued
  s.lc.stop(t0, close_reason::server_shutdown);
  CHECK_ACTIONS(s.lc.reading_ended(t0), act{});
  CHECK_REASON(s.lc, close_reason::server_shutdown);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(F14_limits_and_backpressure)

BOOST_AUTO_TEST_CASE(a_write_stalled_past_the_write_timeout_ends_tls_and_skips_the_linger) {
  server_at_work s;
  s.lc.write_waits(t0 + 10s);
  BOOST_TEST((s.lc.next_wakeup(t0 + 10s) == t0 + 40s));
  CHECK_ACTIONS(s.lc.tick(t0 + 40s - 1ms), act{});
  CHECK_ACTIONS(s.lc.tick(t0 + 40s), act::cancel_write | act::cancel_read | act::wake_reader);
  BOOST_TEST(!s.lc.tls_usable());  // half a record is out
  s.lc.write_failed(t0 + 40s, aborted);
  CHECK_STEPS(s.close(t0 + 40s), close_only);  // a peer that does not read will not read a FIN
  CHECK_REASON(s.lc, close_reason::write_timeout);
  BOOST_TEST(s.lc.detail() == "the peer stopped reading");
}

BOOST_AUTO_TEST_CASE(each_wait_for_the_socket_is_timed_on_its_own) {
  server_at_work s;
  s.lc.write_waits(t0);
  s.lc.write_resumed();
  s.lc.write_waits(t0 + 20s);
  CHECK_ACTIONS(s.lc.tick(t0 + 30s), act{});
  s.lc.write_resumed();
  CHECK_ACTIONS(s.lc.tick(t0 + 60s), act{});
}

BOOST_AUTO_TEST_CASE(a_line_too_long_is_a_protocol_error_and_its_answer_still_goes_out) {
  server_at_work s;
  s.lc.read_resumed();  // the handler found the line in what it had read
  CHECK_ACTIONS(s.lc.stop(t0, close_reason::protocol_error, "line longer than --max-line"), act::wake_reader);
  BOOST_TEST(s.lc.tls_usable());
  CHECK_ACTIONS(s.lc.reading_ended(t0), act{});  // ERR line-too-long is the protocol's own goodbye
  CHECK_STEPS(s.close(t0, eof), shutdown_only);
  CHECK_REASON(s.lc, close_reason::protocol_error);
  BOOST_TEST(s.lc.detail() == "line longer than --max-line");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(F15_websocket_close)

BOOST_AUTO_TEST_CASE(what_the_peers_close_frame_said_goes_with_the_clean_tls_end) {
  server_at_work s;
  s.lc.closes_in_band();
  s.lc.read_resumed();
  s.lc.peer_finished("the peer closed the WebSocket with 1000");
  CHECK_ACTIONS(s.lc.reading_ended(t0 + 1s), act{});  // the peer's close was answered already
  CHECK_STEPS(s.close(t0 + 1s, eof), shutdown_only);
  CHECK_REASON(s.lc, close_reason::clean);
  BOOST_TEST(s.lc.detail() == "the peer closed the WebSocket with 1000");
}

BOOST_AUTO_TEST_CASE(an_in_band_stop_leaves_the_read_pending_and_says_goodbye_once) {
  server_at_work s;
  s.lc.closes_in_band();
  CHECK_ACTIONS(s.lc.stop(t0 + 1s, close_reason::server_shutdown), act::say_goodbye | act::wake_reader);
  BOOST_TEST(!s.lc.reading_wanted());  // no new read; the pending one receives the answer
  CHECK_ACTIONS(s.lc.stop(t0 + 2s, close_reason::idle_timeout), act{});
  s.lc.read_ended(t0 + 2s, eof);  // the answer came, then the peer's close_notify
  CHECK_ACTIONS(s.lc.reading_ended(t0 + 2s), act{});
  CHECK_STEPS(s.close(t0 + 2s, eof), shutdown_only);
  CHECK_REASON(s.lc, close_reason::server_shutdown);
}

BOOST_AUTO_TEST_CASE(a_client_quit_in_band_says_goodbye_once_and_leaves_the_read_for_the_answer) {
  client_at_work s;
  s.lc.closes_in_band();
  s.lc.read_started();
  CHECK_ACTIONS(s.lc.local_quit(t0 + 1s), act::say_goodbye | act::stop_input | act::wake_writer);
  BOOST_TEST(!s.lc.reading_wanted());
  s.lc.closing_handshake(t0 + 1s);
  CHECK_ACTIONS(s.lc.tick(t0 + 2s), act{});  // the read stays
  s.lc.read_resumed();
  s.lc.peer_finished("the server answered our close with 1000");
  CHECK_STEPS(s.close(t0 + 2s, eof), shutdown_only);
  CHECK_REASON(s.lc, close_reason::local_quit);
  BOOST_TEST(s.lc.exit_status() == exit_clean);
}

BOOST_AUTO_TEST_CASE(a_client_in_band_ends_its_input_with_the_close_frame_once_the_server_is_quiet) {
  client_at_work s;
  s.lc.closes_in_band();
  s.lc.input(t0 + 1s);  // the echo of our last message
  s.lc.next_wakeup(t0 + 1s);
  CHECK_ACTIONS(s.lc.input_ended(t0 + 1s), act::stop_input | act::rearm);
  BOOST_TEST(!s.lc.sending_wanted());
  BOOST_TEST(s.lc.reading_wanted());
  BOOST_TEST((s.lc.next_wakeup(t0 + 1s) == t0 + 2s));  // --eof-wait after the last sign of the server
  s.lc.input(t0 + 1500ms);  // an answer to our last message
  CHECK_ACTIONS(s.lc.tick(t0 + 2s), act{});
  CHECK_ACTIONS(s.lc.tick(t0 + 2500ms), act::say_goodbye);  // close 1000, no TLS half-close
  BOOST_TEST(!s.lc.half_close_due());
  CHECK_ACTIONS(s.lc.tick(t0 + 5s), act{});  // once
  CHECK_ACTIONS(s.lc.local_quit(t0 + 5s), act::stop_input | act::wake_writer);  // said already
}

BOOST_AUTO_TEST_CASE(a_quit_while_the_client_waits_for_quiet_says_goodbye_at_once) {
  client_at_work s;
  s.lc.closes_in_band();
  s.lc.input_ended(t0);
  CHECK_ACTIONS(s.lc.local_quit(t0 + 100ms), act::say_goodbye | act::stop_input | act::wake_writer);
  CHECK_ACTIONS(s.lc.tick(t0 + 5s), act{});
}

BOOST_AUTO_TEST_CASE(a_server_close_frame_then_a_tcp_end_without_close_notify_is_exit_7) {
  client_at_work s;
  s.lc.closes_in_band();
  s.lc.read_resumed();
  s.lc.peer_finished("the server closed the WebSocket with 1001");
  CHECK_STEPS(s.close(t0 + 1s, truncated), shutdown_then_linger);
  CHECK_REASON(s.lc, close_reason::peer_truncated);
  BOOST_TEST(s.lc.exit_status() == exit_truncated);
}

BOOST_AUTO_TEST_CASE(a_client_in_band_whose_message_never_went_out_cancels_the_read_at_the_shutdown_limit) {
  client_at_work s;
  s.lc.closes_in_band();
  s.lc.read_started();
  s.lc.write_waits(t0);  // a message the server does not take
  // The waiting write gets --shutdown-timeout from the quit: the timer must wake by then.
  CHECK_ACTIONS(s.lc.local_quit(t0), act::say_goodbye | act::stop_input | act::wake_writer | act::rearm);
  // Half a record is out: no close frame can follow, and the read is not kept for one.
  CHECK_ACTIONS(s.lc.tick(t0 + 5s), act::cancel_write | act::cancel_read | act::stop_input | act::wake_writer);
  BOOST_TEST(!s.lc.tls_usable());
}

BOOST_AUTO_TEST_CASE(a_stop_before_the_protocol_closes_in_band_cancels_the_read_and_the_goodbye_comes_later) {
  server_at_work s;
  CHECK_ACTIONS(s.lc.stop(t0 + 1s, close_reason::server_shutdown), act::cancel_read | act::wake_reader);
  s.lc.read_ended(t0 + 1s, aborted);
  s.lc.closes_in_band();
  CHECK_ACTIONS(s.lc.reading_ended(t0 + 1s), act::say_goodbye);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(F16_websocket_close_deadline)

BOOST_AUTO_TEST_CASE(an_unanswered_close_frame_cancels_the_read_at_the_shutdown_limit_then_tls_closes) {
  server_at_work s;
  s.lc.closes_in_band();
  s.lc.stop(t0 + 1s, close_reason::server_shutdown);
  s.lc.next_wakeup(t0 + 1s);
  CHECK_ACTIONS(s.lc.closing_handshake(t0 + 1s), act::rearm);  // 5 s, before the next periodic wakeup
  BOOST_TEST((s.lc.next_wakeup(t0 + 1s) == t0 + 6s));
  CHECK_ACTIONS(s.lc.tick(t0 + 6s - 1ms), act{});
  CHECK_ACTIONS(s.lc.tick(t0 + 6s), act::cancel_read);
  CHECK_ACTIONS(s.lc.tick(t0 + 7s), act{});  // once
  s.lc.read_ended(t0 + 6s, aborted);
  CHECK_ACTIONS(s.lc.reading_ended(t0 + 6s), act{});
  CHECK_STEPS(s.close(t0 + 6s, eof), shutdown_only);  // TLS's close still comes
  CHECK_REASON(s.lc, close_reason::server_shutdown);
  BOOST_TEST(s.lc.detail() == "the peer did not answer our close frame");
}

BOOST_AUTO_TEST_CASE(a_client_whose_close_frame_is_unanswered_cancels_the_read_at_the_shutdown_limit_exit_9) {
  client_at_work s;
  s.lc.closes_in_band();
  s.lc.read_started();
  s.lc.local_quit(t0 + 1s);
  s.lc.next_wakeup(t0 + 1s);
  CHECK_ACTIONS(s.lc.closing_handshake(t0 + 1s), act::rearm);
  BOOST_TEST((s.lc.next_wakeup(t0 + 1s) == t0 + 6s));
  CHECK_ACTIONS(s.lc.tick(t0 + 6s - 1ms), act{});
  CHECK_ACTIONS(s.lc.tick(t0 + 6s), act::cancel_read);
  CHECK_ACTIONS(s.lc.tick(t0 + 7s), act{});  // once
  s.lc.read_ended(t0 + 6s, aborted);
  CHECK_STEPS(s.close(t0 + 6s, eof), shutdown_only);  // TLS's close still comes
  CHECK_REASON(s.lc, close_reason::shutdown_timeout);
  BOOST_TEST(s.lc.detail() == "the server did not answer our close frame");
  BOOST_TEST(s.lc.exit_status() == exit_shutdown_timeout);
}

BOOST_AUTO_TEST_CASE(no_closing_handshake_once_tls_cannot_carry_it) {
  server_at_work s;
  s.lc.closes_in_band();
  s.lc.write_waits(t0);
  s.lc.tick(t0 + 30s);  // the write timeout: half a record is out
  CHECK_ACTIONS(s.lc.closing_handshake(t0 + 30s), act{});
  BOOST_TEST((s.lc.next_wakeup(t0 + 30s) == t0 + 60s));  // only the periodic wakeup
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(websocket_client)

BOOST_AUTO_TEST_CASE(an_upgrade_unanswered_by_its_deadline_is_handshake_timeout_exit_4_and_cancels_the_read) {
  client_at_work s;
  s.lc.read_started();  // the upgrade's request is out, its answer awaited
  s.lc.next_wakeup(t0);
  CHECK_ACTIONS(s.lc.protocol_deadline(t0, 10s, "no answer to the WebSocket upgrade within --connect-timeout"),
                act::rearm);
  BOOST_TEST((s.lc.next_wakeup(t0) == t0 + 10s));
  CHECK_ACTIONS(s.lc.tick(t0 + 10s - 1ms), act{});
  CHECK_ACTIONS(s.lc.tick(t0 + 10s), act::cancel_read | act::stop_input | act::wake_writer);
  s.lc.read_ended(t0 + 10s, aborted);
  CHECK_STEPS(s.close(t0 + 10s, eof), shutdown_only);  // TLS is fine: close_notify both ways
  CHECK_REASON(s.lc, close_reason::handshake_timeout);
  BOOST_TEST(s.lc.detail() == "no answer to the WebSocket upgrade within --connect-timeout");
  BOOST_TEST(s.lc.exit_status() == exit_connect_timeout);
}

BOOST_AUTO_TEST_CASE(an_answered_upgrade_clears_its_deadline) {
  client_at_work s;
  s.lc.protocol_deadline(t0, 10s, "no answer to the WebSocket upgrade within --connect-timeout");
  s.lc.clear_protocol_deadline();
  BOOST_TEST((s.lc.next_wakeup(t0) == connection_lifecycle::time_point::max()));
  CHECK_ACTIONS(s.lc.tick(t0 + 1h), act{});
}

BOOST_AUTO_TEST_CASE(a_closed_stdout_in_band_says_goodbye_instead_of_a_tls_half_close) {
  client_at_work s;
  s.lc.closes_in_band();
  CHECK_ACTIONS(s.lc.output_closed(t0), act::stop_input | act::say_goodbye);
  BOOST_TEST(!s.lc.half_close_due());
  BOOST_TEST(s.lc.nothing_owed());
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(websocket_keepalive)

BOOST_AUTO_TEST_CASE(a_protocol_alarm_only_tells_the_protocol) {
  server_at_work s;
  s.lc.next_wakeup(t0);
  CHECK_ACTIONS(s.lc.protocol_alarm(t0, 1s), act::rearm);
  s.lc.next_wakeup(t0);
  CHECK_ACTIONS(s.lc.tick(t0 + 1s), act::protocol_due);
  CHECK_ACTIONS(s.lc.tick(t0 + 2s), act{});  // once
  BOOST_TEST(s.lc.reading_wanted());
  BOOST_TEST(!s.lc.reason());
}

BOOST_AUTO_TEST_CASE(an_unanswered_ping_stops_the_connection_as_idle_with_a_goodbye_in_band) {
  server_at_work s;
  s.lc.closes_in_band();
  s.lc.protocol_alarm(t0, 1s);
  s.lc.next_wakeup(t0);  // the driver re-arms, as `rearm` asked
  CHECK_ACTIONS(s.lc.tick(t0 + 1s), act::protocol_due);
  s.lc.protocol_deadline(t0 + 1s, 1s, "no answer to our ping");  // the protocol pinged
  s.lc.next_wakeup(t0 + 1s);
  CHECK_ACTIONS(s.lc.tick(t0 + 2s), act::say_goodbye | act::wake_reader);
  CHECK_REASON(s.lc, close_reason::idle_timeout);
  BOOST_TEST(s.lc.detail() == "no answer to our ping");
}

BOOST_AUTO_TEST_CASE(an_answer_turns_the_deadline_back_into_an_alarm) {
  server_at_work s;
  s.lc.closes_in_band();
  s.lc.protocol_deadline(t0, 1s, "no answer to our ping");
  s.lc.protocol_alarm(t0 + 500ms, 1s);  // the pong came
  CHECK_ACTIONS(s.lc.tick(t0 + 1500ms), act::protocol_due);
  BOOST_TEST(!s.lc.reason());
}

BOOST_AUTO_TEST_SUITE_END()

// The first reason wins; later ones neither replace it nor its detail (Boost.MySQL's
// close_connection: "the first error code wins").
BOOST_AUTO_TEST_SUITE(first_reason_wins)

BOOST_AUTO_TEST_CASE(later_events_never_replace_the_first_reason) {
  const std::vector<std::pair<std::string, std::function<void(connection_lifecycle&)>>> later{
      {"eof", [](auto& lc) { lc.read_ended(t0 + 1s, eof); }},
      {"reset", [](auto& lc) { lc.read_ended(t0 + 1s, reset); }},
      {"write failure", [](auto& lc) { lc.write_failed(t0 + 1s, broken_pipe); }},
      {"stop", [](auto& lc) { lc.stop(t0 + 1s, close_reason::server_shutdown); }},
      {"abort", [](auto& lc) { lc.abort(t0 + 1s); }},
      {"tick at the write deadline", [](auto& lc) {
         lc.write_waits(t0);
         lc.tick(t0 + 30s);
       }}};
  for (const auto& [name, event] : later) {
    server_at_work s;
    s.lc.stop(t0, close_reason::protocol_error, "first");
    event(s.lc);
    s.close(t0 + 40s, reset);
    CHECK_REASON(s.lc, close_reason::protocol_error);
    BOOST_TEST(s.lc.detail() == "first", name);
  }
}

BOOST_AUTO_TEST_CASE(a_connection_closed_without_any_reason_is_an_error_never_nothing) {
  server_at_work bare;
  bare.lc.reading_ended(t0);
  bare.lc.begin_close(t0);
  bare.lc.shutdown_ended(t0, aborted);  // not expired, socket open: nothing to learn from it
  bare.lc.socket_closed(t0);
  CHECK_REASON(bare.lc, close_reason::error);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(races)

BOOST_AUTO_TEST_CASE(a_read_completing_as_its_deadline_fires_keeps_its_bytes_and_the_deadlines_reason) {
  server_at_work s;
  CHECK_ACTIONS(s.lc.tick(t0 + 300s), act::cancel_read | act::wake_reader);
  // The cancel came too late: the read completed with bytes. They are echoed (the driver
  // sends what it took), and reading ends because the lifecycle no longer wants it.
  s.lc.read_resumed();
  s.lc.input(t0 + 300s);
  BOOST_TEST(!s.lc.reading_wanted());
  BOOST_TEST(s.lc.tls_usable());
  CHECK_ACTIONS(s.lc.reading_ended(t0 + 300s), act::say_goodbye);
  CHECK_REASON(s.lc, close_reason::idle_timeout);
}

BOOST_AUTO_TEST_CASE(a_second_stop_changes_nothing_and_cancels_nothing_twice) {
  server_at_work s;
  CHECK_ACTIONS(s.lc.stop(t0, close_reason::server_shutdown), act::cancel_read | act::wake_reader);
  CHECK_ACTIONS(s.lc.stop(t0, close_reason::idle_timeout), act::wake_reader);
  CHECK_REASON(s.lc, close_reason::server_shutdown);
}

BOOST_AUTO_TEST_CASE(a_stop_with_no_read_pending_cancels_no_read) {
  server_at_work s;
  s.lc.read_resumed();  // the reader waits for room, not for input
  CHECK_ACTIONS(s.lc.stop(t0, close_reason::server_shutdown), act::wake_reader);
}

BOOST_AUTO_TEST_CASE(a_stop_while_the_writer_is_blocked_leaves_it_to_the_write_deadline) {
  server_at_work s;
  s.lc.write_waits(t0);
  CHECK_ACTIONS(s.lc.stop(t0 + 1s, close_reason::server_shutdown), act::cancel_read | act::wake_reader);
  s.lc.read_ended(t0 + 1s, aborted);
  s.lc.reading_ended(t0 + 1s);
  BOOST_TEST((s.lc.phase() == lifecycle_phase::flushing));
  CHECK_ACTIONS(s.lc.tick(t0 + 30s), act::cancel_write | act::wake_reader);
  CHECK_REASON(s.lc, close_reason::server_shutdown);
  BOOST_TEST(!s.lc.tls_usable());
}

BOOST_AUTO_TEST_CASE(a_write_timeout_while_a_read_is_pending_cancels_both) {
  server_at_work s;
  s.lc.write_waits(t0);
  CHECK_ACTIONS(s.lc.tick(t0 + 30s), act::cancel_write | act::cancel_read | act::wake_reader);
  s.lc.read_ended(t0 + 30s, aborted);  // our own cancel: no new reason
  CHECK_REASON(s.lc, close_reason::write_timeout);
}

BOOST_AUTO_TEST_CASE(a_cancel_that_loses_to_an_eof_keeps_the_first_reason) {
  server_at_work s;
  s.lc.stop(t0, close_reason::server_shutdown);
  s.lc.read_ended(t0, eof);
  CHECK_ACTIONS(s.lc.reading_ended(t0), act::say_goodbye);
  CHECK_REASON(s.lc, close_reason::server_shutdown);
}

BOOST_AUTO_TEST_CASE(bye_followed_by_a_truncation_is_a_normal_end) {
  client_at_work s;
  s.lc.input(t0);
  s.lc.bye_seen();
  s.lc.read_ended(t0 + 1s, truncated);
  s.close(t0 + 1s);
  CHECK_REASON(s.lc, close_reason::peer_truncated);
  BOOST_TEST(s.lc.exit_status() == exit_clean);
}

BOOST_AUTO_TEST_CASE(our_half_close_followed_by_a_truncation_may_have_lost_data) {
  client_at_work s;
  CHECK_ACTIONS(s.lc.input_ended(t0), act::wake_writer);
  BOOST_TEST(s.lc.half_close_due());
  s.lc.half_close_begins(t0);
  s.lc.write_ended(t0, {}, 0);
  BOOST_TEST(s.lc.half_closed());
  BOOST_TEST(s.lc.reading_wanted());  // the server's answer still comes
  s.lc.input(t0 + 1s);
  s.lc.read_ended(t0 + 1s, truncated);
  s.close(t0 + 1s);
  CHECK_REASON(s.lc, close_reason::peer_truncated);
  BOOST_TEST(s.lc.exit_status() == exit_truncated);
}

BOOST_AUTO_TEST_CASE(idle_expiry_while_a_client_write_waits_gives_that_write_the_shutdown_timeout_then_cuts_it) {
  lifecycle_limits limits = client_limits();
  limits.idle = 2s;
  subject s(lifecycle_role::client, limits);
  s.established();
  s.lc.write_waits(t0 + 1s);  // the server stops reading: it never completes
  BOOST_TEST((s.lc.next_wakeup(t0 + 1s) == t0 + 2s));  // idle counts for the client even while writing
  // The timer that fired is re-armed after every tick: no `rearm` needed.
  CHECK_ACTIONS(s.lc.tick(t0 + 2s), act::cancel_read | act::stop_input | act::wake_writer);
  BOOST_TEST((s.lc.next_wakeup(t0 + 2s) == t0 + 7s));
  CHECK_ACTIONS(s.lc.tick(t0 + 7s), act::cancel_write | act::stop_input | act::wake_writer);
  BOOST_TEST(s.lc.write_cut());
  s.lc.write_ended(t0 + 7s, aborted, 0);
  CHECK_STEPS(s.close(t0 + 7s), linger_only);  // no close_notify after half a record
  CHECK_REASON(s.lc, close_reason::idle_timeout);
  BOOST_TEST(s.lc.exit_status() == exit_idle_timeout);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(F06_quit_from_server)

BOOST_AUTO_TEST_CASE(the_servers_close_notify_is_answered_and_exits_0) {
  client_at_work s;
  s.lc.input(t0);
  s.lc.bye_seen();
  CHECK_ACTIONS(s.lc.read_ended(t0, eof), act::stop_input | act::wake_writer);
  CHECK_STEPS(s.close(t0, eof), shutdown_only);
  CHECK_REASON(s.lc, close_reason::clean);
  BOOST_TEST(s.lc.exit_status() == exit_clean);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(F07_quit_from_stdin)

BOOST_AUTO_TEST_CASE(a_quit_cancels_the_pending_read_before_any_shutdown) {
  client_at_work s;
  CHECK_ACTIONS(s.lc.local_quit(t0 + 1s), act::cancel_read | act::stop_input | act::wake_writer);
  CHECK_ACTIONS(s.lc.read_ended(t0 + 1s, aborted), act::stop_input | act::wake_writer);
  CHECK_STEPS(s.close(t0 + 1s, eof), shutdown_only);
  CHECK_REASON(s.lc, close_reason::local_quit);
  BOOST_TEST(s.lc.exit_status() == exit_clean);
}

BOOST_AUTO_TEST_CASE(a_quit_answered_by_a_truncation_is_still_a_normal_end) {
  client_at_work s;
  s.lc.local_quit(t0);
  s.lc.read_ended(t0, aborted);
  CHECK_STEPS(s.close(t0, truncated), shutdown_then_linger);
  CHECK_REASON(s.lc, close_reason::peer_truncated);
  BOOST_TEST(s.lc.exit_status() == exit_clean);
}

BOOST_AUTO_TEST_CASE(a_second_quit_cuts_the_connection) {
  client_at_work s;
  s.lc.local_quit(t0);
  s.lc.read_ended(t0, aborted);
  s.lc.reading_ended(t0);
  BOOST_TEST((s.lc.begin_close(t0) == close_step::tls_shutdown));
  CHECK_ACTIONS(s.lc.local_quit(t0 + 1s), act::close_socket | act::stop_input | act::wake_writer);
  BOOST_TEST((s.lc.shutdown_ended(t0 + 1s, aborted) == close_step::close_socket));
  s.lc.socket_closed(t0 + 1s);
  BOOST_TEST(s.lc.exit_status() == exit_interrupted);
}

BOOST_AUTO_TEST_CASE(a_quit_while_connecting_cancels_the_connect) {
  subject s(lifecycle_role::client, client_limits());
  s.lc.read_started();  // the TCP connect
  CHECK_ACTIONS(s.lc.local_quit(t0), act::cancel_read | act::stop_input | act::wake_writer);
  s.lc.connect_failed(t0, aborted);
  CHECK_STEPS(s.close(t0), close_only);
  BOOST_TEST(s.lc.exit_status() == exit_interrupted);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(F20_end_of_input_then_truncation)

BOOST_AUTO_TEST_CASE(on_tls_1_3_the_end_of_input_half_closes_at_once_and_the_server_gets_the_shutdown_timeout) {
  client_at_work s;
  CHECK_ACTIONS(s.lc.input_ended(t0), act::wake_writer);
  BOOST_TEST(!s.lc.sending_wanted());
  CHECK_ACTIONS(s.lc.half_close_begins(t0), act::rearm);
  BOOST_TEST((s.lc.next_wakeup(t0) == t0 + 5s));
  s.lc.write_ended(t0, {}, 0);
  CHECK_ACTIONS(s.lc.tick(t0 + 5s), act::cancel_read | act::stop_input | act::wake_writer);
  s.lc.read_ended(t0 + 5s, aborted);
  CHECK_STEPS(s.close(t0 + 5s), linger_only);  // ours is out: nothing more to say
  CHECK_REASON(s.lc, close_reason::shutdown_timeout);
  BOOST_TEST(s.lc.exit_status() == exit_shutdown_timeout);
}

BOOST_AUTO_TEST_CASE(after_our_half_close_a_server_still_streaming_is_not_cut_a_silent_one_is) {
  client_at_work s;
  s.lc.input_ended(t0);
  s.lc.half_close_begins(t0);
  s.lc.write_ended(t0, {}, 0);
  for (auto at = t0 + 1s; at < t0 + 20s; at += 1s) {  // the answer streams for 20 s
    s.lc.input(at);
    CHECK_ACTIONS(s.lc.tick(at), act{});
  }
  s.lc.input(t0 + 20s);
  BOOST_TEST((s.lc.next_wakeup(t0 + 20s) == t0 + 25s));
  CHECK_ACTIONS(s.lc.tick(t0 + 25s), act::cancel_read | act::stop_input | act::wake_writer);
  CHECK_REASON(s.lc, close_reason::shutdown_timeout);
}

BOOST_AUTO_TEST_CASE(on_tls_1_2_the_end_of_input_waits_until_the_server_has_been_quiet) {
  client_at_work s(/*tls13=*/false);
  CHECK_ACTIONS(s.lc.input_ended(t0), act::wake_writer | act::rearm);
  BOOST_TEST(s.lc.half_close_waits());
  BOOST_TEST(!s.lc.half_close_due());
  BOOST_TEST((s.lc.next_wakeup(t0) == t0 + 1s));
  s.lc.input(t0 + 600ms);  // the slow answer
  CHECK_ACTIONS(s.lc.tick(t0 + 1s), act{});
  BOOST_TEST((s.lc.next_wakeup(t0 + 1s) == t0 + 1600ms));
  CHECK_ACTIONS(s.lc.tick(t0 + 1600ms), act::wake_writer);
  BOOST_TEST(s.lc.half_close_due());
}

BOOST_AUTO_TEST_CASE(on_tls_1_2_a_server_that_closes_first_needs_no_half_close) {
  client_at_work s(/*tls13=*/false);
  s.lc.input_ended(t0);
  CHECK_ACTIONS(s.lc.read_ended(t0 + 500ms, eof), act::stop_input | act::wake_writer);
  BOOST_TEST(!s.lc.half_close_waits());
  BOOST_TEST(!s.lc.half_close_due());
  CHECK_STEPS(s.close(t0 + 500ms, eof), shutdown_only);
  BOOST_TEST(s.lc.exit_status() == exit_clean);
}

BOOST_AUTO_TEST_CASE(a_closed_stdout_half_closes_even_on_tls_1_2_and_owes_us_nothing) {
  client_at_work s(/*tls13=*/false);
  CHECK_ACTIONS(s.lc.output_closed(t0), act::stop_input | act::wake_writer);
  BOOST_TEST(s.lc.half_close_due());
  s.lc.half_close_begins(t0);
  s.lc.write_ended(t0, {}, 0);
  s.lc.read_ended(t0 + 1s, truncated);
  s.close(t0 + 1s);
  BOOST_TEST(s.lc.exit_status() == exit_clean);
}

BOOST_AUTO_TEST_SUITE_END()

// Every exit code closenotify-cli documents, each from the shortest story that gives it.
BOOST_AUTO_TEST_SUITE(client_exit_codes)

BOOST_AUTO_TEST_CASE(each_ending_has_its_code) {
  struct row {
    std::string story;
    std::function<void(subject&)> events;
    exit_code want;
  };
  const auto established_then = [](std::function<void(connection_lifecycle&)> f) {
    return [f](subject& s) {
      s.established();
      f(s.lc);
      s.close(t0 + 20s, eof);
    };
  };
  const std::vector<row> table{
      {"server's close_notify", established_then([](auto& lc) { lc.read_ended(t0, eof); }), exit_clean},
      {"our quit, answered", established_then([](auto& lc) { lc.local_quit(t0); }), exit_clean},
      {"truncation out of the blue", established_then([](auto& lc) { lc.read_ended(t0, truncated); }), exit_truncated},
      {"reset", established_then([](auto& lc) { lc.read_ended(t0, reset); }), exit_reset},
      {"TLS error after data", established_then([](auto& lc) {
         lc.input(t0);
         lc.read_ended(t0, bad_record_mac);
       }),
       exit_protocol_error},
      {"TLS alert before any data (TLS 1.3 client-certificate refusal)",
       established_then([](auto& lc) { lc.read_ended(t0, ssl_error(SSL_R_TLSV13_ALERT_CERTIFICATE_REQUIRED)); }),
       exit_handshake_failed},
      {"half-closed, no answer",
       established_then([](auto& lc) {
         lc.input_ended(t0);
         lc.half_close_begins(t0);
         lc.write_ended(t0, {}, 0);
         lc.tick(t0 + 5s);
       }),
       exit_shutdown_timeout},
      {"idle", [](subject& s) {
         s.limits.idle = 2s;
         s.established();
         s.lc.tick(t0 + 2s);
         s.close(t0 + 2s, eof);
       },
       exit_idle_timeout},
      {"write failure", established_then([](auto& lc) {
         lc.write_waits(t0);
         lc.write_ended(t0, error_code(error::no_buffer_space), 0);
       }),
       exit_error},
      {"connection refused", [](subject& s) {
         s.lc.read_started();
         s.lc.connect_failed(t0, error::connection_refused);
         s.close(t0);
       },
       exit_connect_failed},
      {"connect too slow", [](subject& s) {
         s.lc.read_started();
         s.lc.tick(t0 + 10s);
         s.lc.connect_failed(t0 + 10s, aborted);
         s.close(t0 + 10s);
       },
       exit_connect_timeout},
      {"handshake too slow", [](subject& s) {
         s.lc.read_started();
         s.lc.tick(t0 + 10s);
         s.lc.handshake_failed(t0 + 10s, aborted);
         s.close(t0 + 10s);
       },
       exit_connect_timeout},
      {"handshake refused", [](subject& s) {
         s.lc.read_started();
         s.lc.handshake_failed(t0, ssl_error(SSL_R_NO_PROTOCOLS_AVAILABLE));
         s.close(t0);
       },
       exit_handshake_failed},
      {"certificate rejected", [](subject& s) {
         s.lc.read_started();
         s.lc.handshake_failed(t0, ssl_error(SSL_R_CERTIFICATE_VERIFY_FAILED), true);
         s.close(t0);
       },
       exit_verify_failed},
      {"second Ctrl-C", established_then([](auto& lc) {
         lc.local_quit(t0);
         lc.local_quit(t0);
       }),
       exit_interrupted},
  };
  for (const auto& r : table) {
    subject s(lifecycle_role::client, client_limits());
    r.events(s);
    BOOST_TEST(s.lc.exit_status() == r.want, r.story << ": " << s.lc.exit_status() << " != " << r.want);
  }
}

BOOST_AUTO_TEST_CASE(a_write_the_server_never_takes_after_our_quit_is_cut_at_the_shutdown_timeout_9) {
  client_at_work s;
  s.lc.write_waits(t0);
  CHECK_ACTIONS(s.lc.local_quit(t0 + 1s), act::cancel_read | act::stop_input | act::wake_writer | act::rearm);
  BOOST_TEST((s.lc.next_wakeup(t0 + 1s) == t0 + 6s));
  CHECK_ACTIONS(s.lc.tick(t0 + 6s), act::cancel_write | act::stop_input | act::wake_writer);
  s.lc.write_ended(t0 + 6s, aborted, 0);
  s.lc.read_ended(t0 + 6s, aborted);
  CHECK_STEPS(s.close(t0 + 6s), linger_only);
  CHECK_REASON(s.lc, close_reason::shutdown_timeout);
  BOOST_TEST(s.lc.exit_status() == exit_shutdown_timeout);
}

BOOST_AUTO_TEST_CASE(a_write_cut_after_the_servers_close_notify_is_still_9_our_bytes_were_lost) {
  client_at_work s;
  s.lc.input_ended(t0);
  s.lc.half_close_begins(t0);  // its close_notify waits behind a full window
  s.lc.read_ended(t0 + 1s, eof);
  CHECK_ACTIONS(s.lc.tick(t0 + 5s), act::cancel_write | act::stop_input | act::wake_writer);
  s.lc.write_ended(t0 + 5s, aborted, 0);
  s.close(t0 + 5s);
  CHECK_REASON(s.lc, close_reason::shutdown_timeout);
  BOOST_TEST(s.lc.exit_status() == exit_shutdown_timeout);
}

BOOST_AUTO_TEST_CASE(a_write_blocked_after_the_servers_close_notify_is_cut_at_the_shutdown_timeout_9) {
  client_at_work s;
  s.lc.write_waits(t0);  // the server will never read it
  CHECK_ACTIONS(s.lc.read_ended(t0 + 1s, eof), act::stop_input | act::wake_writer | act::rearm);
  BOOST_TEST((s.lc.next_wakeup(t0 + 1s) == t0 + 6s));
  CHECK_ACTIONS(s.lc.tick(t0 + 6s), act::cancel_write | act::stop_input | act::wake_writer);
  s.lc.write_ended(t0 + 6s, aborted, 0);
  s.close(t0 + 6s);
  BOOST_TEST(s.lc.exit_status() == exit_shutdown_timeout);
}

BOOST_AUTO_TEST_CASE(the_reads_end_outranks_the_error_of_a_write_that_failed_first) {
  client_at_work clean_end;
  clean_end.lc.write_waits(t0);
  clean_end.lc.write_ended(t0, broken_pipe, 0);  // the server closed while we were still writing...
  clean_end.lc.read_ended(t0, eof);              // ...after its close_notify
  clean_end.close(t0);
  CHECK_REASON(clean_end.lc, close_reason::clean);
  BOOST_TEST(clean_end.lc.exit_status() == exit_clean);

  client_at_work no_end;
  no_end.lc.write_waits(t0);
  no_end.lc.write_ended(t0, error_code(error::no_buffer_space), 0);
  no_end.lc.local_quit(t0);  // the reader was cancelled: the write's error is all we know
  no_end.lc.read_ended(t0, aborted);
  no_end.close(t0);
  CHECK_REASON(no_end.lc, close_reason::error);
}

BOOST_AUTO_TEST_CASE(a_truncation_owed_data_stays_7_whatever_the_user_does_afterwards) {
  client_at_work s;
  s.lc.input_ended(t0);
  s.lc.half_close_begins(t0);
  s.lc.write_ended(t0, {}, 0);
  s.lc.read_ended(t0 + 1s, truncated);
  s.lc.reading_ended(t0 + 1s);
  BOOST_TEST((s.lc.begin_close(t0 + 1s) == close_step::linger));
  s.lc.local_quit(t0 + 1500ms);  // Ctrl-C while it lingers
  s.lc.linger_ended(t0 + 2s);
  s.lc.socket_closed(t0 + 2s);
  BOOST_TEST(s.lc.exit_status() == exit_truncated);
}

BOOST_AUTO_TEST_CASE(once_a_deadline_has_begun_the_close_the_first_ctrl_c_cuts_it) {
  lifecycle_limits limits = client_limits();
  limits.idle = 2s;
  subject s(lifecycle_role::client, limits);
  s.established();
  s.lc.tick(t0 + 2s);  // idle: the close begins
  CHECK_ACTIONS(s.lc.local_quit(t0 + 3s), act::close_socket | act::stop_input | act::wake_writer);
  BOOST_TEST(s.lc.exit_status() == exit_interrupted);
}

BOOST_AUTO_TEST_CASE(on_tls_1_2_the_idle_deadline_gives_way_to_the_end_of_input_wait) {
  lifecycle_limits limits = client_limits();
  limits.idle = 1s;
  subject s(lifecycle_role::client, limits);
  s.established(/*tls13=*/false);
  s.lc.input_ended(t0 + 500ms);
  s.lc.input(t0 + 500ms);
  BOOST_TEST((s.lc.next_wakeup(t0 + 500ms) == t0 + 1500ms));  // the quiet time, not idle
  CHECK_ACTIONS(s.lc.tick(t0 + 1500ms), act::wake_writer);
  BOOST_TEST(s.lc.half_close_due());
  s.lc.half_close_begins(t0 + 1500ms);
  s.lc.write_ended(t0 + 1500ms, {}, 0);
  s.lc.read_ended(t0 + 1600ms, eof);
  s.close(t0 + 1600ms, eof);
  BOOST_TEST(s.lc.exit_status() == exit_clean);
}

BOOST_AUTO_TEST_CASE(a_quit_or_a_timeout_while_opening_leaves_the_opening_stopped) {
  subject quit(lifecycle_role::client, client_limits());
  quit.lc.read_started();  // name resolution: it may complete after the cancel
  quit.lc.local_quit(t0);
  BOOST_TEST(quit.lc.stopped());
  subject slow(lifecycle_role::client, client_limits());
  slow.lc.read_started();
  slow.lc.tick(t0 + 10s);
  BOOST_TEST(slow.lc.stopped());
  BOOST_TEST((slow.lc.next_wakeup(t0 + 10s) == time_point::max()));  // the driver abandons what is under way
}

BOOST_AUTO_TEST_CASE(a_clean_end_the_user_asked_for_is_local_quit_whoever_began_it) {
  client_at_work s;
  s.lc.read_ended(t0, eof);  // the server's close_notify...
  s.lc.local_quit(t0);       // ...and our Ctrl-C, in the same turn
  s.close(t0, eof);
  CHECK_REASON(s.lc, close_reason::local_quit);
  BOOST_TEST(s.lc.exit_status() == exit_clean);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(deadlines)

BOOST_AUTO_TEST_CASE(the_timer_is_rearmed_only_when_a_deadline_moves_earlier) {
  server_at_work s;
  CHECK_ACTIONS(s.lc.stop(t0, close_reason::server_shutdown), act::cancel_read | act::wake_reader);
  subject opening(lifecycle_role::server);
  CHECK_ACTIONS(opening.lc.handshake_done(t0), act{});  // serving wakes later than the handshake did
  subject idle_client(lifecycle_role::client, [] {
    lifecycle_limits l = client_limits();
    l.idle = 1s;
    return l;
  }());
  idle_client.lc.read_started();
  CHECK_ACTIONS(idle_client.lc.handshake_done(t0), act::rearm);  // 1 s idle, earlier than 10 s
}

BOOST_AUTO_TEST_CASE(a_closed_connection_wakes_no_more) {
  server_at_work s;
  s.close(t0, eof);
  BOOST_TEST((s.lc.next_wakeup(t0) == time_point::max()));
  CHECK_ACTIONS(s.lc.tick(t0 + 1000s), act{});
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE_END()
