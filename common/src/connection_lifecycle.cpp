#include "closenotify/connection_lifecycle.hpp"

#include <algorithm>
#include <array>

#include <boost/asio/error.hpp>
#include <boost/asio/ssl/error.hpp>

namespace closenotify {

namespace {
namespace error = boost::asio::error;
using act = lifecycle_actions;

bool aborted(const boost::system::error_code& ec) { return ec == error::operation_aborted; }

// Ordinary endings give way to a cut write: the bytes we still owed were lost.
bool outranked_by_a_cut(std::optional<close_reason> reason) {
  return !reason || *reason == close_reason::clean || *reason == close_reason::local_quit ||
         *reason == close_reason::peer_truncated;
}
}  // namespace

std::string to_string(lifecycle_actions actions) {
  constexpr std::array<std::pair<act::action, std::string_view>, 10> names{{{act::cancel_read, "cancel_read"},
                                                                           {act::cancel_write, "cancel_write"},
                                                                           {act::cancel_close, "cancel_close"},
                                                                           {act::close_socket, "close_socket"},
                                                                           {act::wake_reader, "wake_reader"},
                                                                           {act::say_goodbye, "say_goodbye"},
                                                                           {act::stop_input, "stop_input"},
                                                                           {act::wake_writer, "wake_writer"},
                                                                           {act::rearm, "rearm"},
                                                                           {act::protocol_due, "protocol_due"}}};
  std::string text;
  for (const auto& [a, name] : names) {
    if (!actions.has(a)) continue;
    if (!text.empty()) text += '|';
    text += name;
  }
  return text.empty() ? "none" : text;
}

connection_lifecycle::connection_lifecycle(lifecycle_role role, const lifecycle_limits& limits, time_point now) noexcept
    : opening_deadline_(now + limits.handshake), last_activity_(now), write_since_(now), limits_(limits), role_(role) {}

void connection_lifecycle::set_reason(close_reason reason, std::string_view detail) {
  if (!reason_) {
    reason_ = reason;
    if (!detail.empty() || !peer_finished_) detail_ = detail;  // else what the peer said stays
    // Whether the truncation lost anything is a fact of the moment it happened.
    if (reason == close_reason::peer_truncated) truncated_while_owed_ = !nothing_owed();
  } else if (detail_.empty()) {
    detail_ = detail;  // what the close path saw adds to a reason that had no detail
  }
}

connection_lifecycle::time_point connection_lifecycle::wakeup(time_point now) const noexcept {
  using std::chrono::milliseconds;
  auto at = time_point::max();
  switch (phase_) {
    case lifecycle_phase::opening:
      if (!opening_expired_) at = opening_deadline_;
      break;
    case lifecycle_phase::serving:
    case lifecycle_phase::flushing:
      if (server()) {
        if (limits_.write > milliseconds::zero()) {
          at = now + limits_.write;
          if (write_waiting_) at = std::min(at, write_since_ + limits_.write);
        }
        if (!stopping_ && limits_.idle > milliseconds::zero()) at = std::min(at, last_activity_ + limits_.idle);
        if (protocol_period_ > milliseconds::zero()) at = std::min(at, now + protocol_period_);
        if (!stopping_) at = std::min(at, protocol_at_);
        if (!close_expired_) at = std::min(at, close_deadline_);  // a closing handshake's
        break;
      }
      if (!stopping_ && closing_since_ == time_point::max() && half_close_ == half_close::none &&
          limits_.idle > milliseconds::zero())
        at = last_activity_ + limits_.idle;
      at = std::min(at, closing_deadline());
      if (half_close_waits()) at = std::min(at, last_activity_ + limits_.eof_wait);
      if (!close_expired_) at = std::min(at, close_deadline_);  // a closing handshake's
      if (!stopping_) at = std::min(at, protocol_at_);
      break;
    case lifecycle_phase::closing:
    case lifecycle_phase::lingering:
      if (!close_expired_) at = close_deadline_;
      break;
    case lifecycle_phase::closed: break;
  }
  return at;
}

connection_lifecycle::time_point connection_lifecycle::closing_deadline() const noexcept {
  if (closing_since_ == time_point::max() || write_cut_) return time_point::max();
  // A write still waiting gets --shutdown-timeout from the start of the close: a server that
  // stopped reading would hold it, and us, for ever.
  if (write_waiting_) return closing_since_ + limits_.shutdown;
  // After our close_notify the server's answer gets it from the last bytes it sent: a server
  // still streaming its answer is not cut, a silent one is.
  if (!stopping_) return std::max(closing_since_, last_activity_) + limits_.shutdown;
  return time_point::max();
}

connection_lifecycle::time_point connection_lifecycle::next_wakeup(time_point now) noexcept {
  armed_ = wakeup(now);
  return armed_;
}

lifecycle_actions connection_lifecycle::settle(time_point now, lifecycle_actions actions) const noexcept {
  if (wakeup(now) < armed_) actions |= act::rearm;
  return actions;
}

lifecycle_actions connection_lifecycle::cancel_pending_read() noexcept {
  if (!read_pending_ || read_cancelled_ || socket_closed_) return {};
  read_cancelled_ = true;
  return act::cancel_read;
}

lifecycle_actions connection_lifecycle::tick(time_point now) {
  lifecycle_actions a;
  switch (phase_) {
    case lifecycle_phase::opening:
      if (opening_expired_ || now < opening_deadline_) break;
      opening_expired_ = true;
      // A stop's grace may have run out: the stop's reason stays the first.
      set_reason(close_reason::handshake_timeout);
      stopping_ = true;
      a |= cancel_pending_read();
      break;
    case lifecycle_phase::serving:
    case lifecycle_phase::flushing:
      if (server()) {
        if (write_waiting_ && limits_.write.count() > 0 && now - write_since_ >= limits_.write) {
          set_reason(close_reason::write_timeout, "the peer stopped reading");
          tls_usable_ = false;  // the cancelled write leaves half a record
          linger_ = false;      // a peer that does not read will not read our FIN either
          write_waiting_ = false;
          stopping_ = true;
          if (!socket_closed_) a |= act::cancel_write;
          a |= cancel_pending_read() | act::wake_reader;
        } else if (phase_ == lifecycle_phase::serving && !stopping_ && !write_waiting_ && limits_.idle.count() > 0 &&
                   now - last_activity_ >= limits_.idle) {
          a |= stop(now, close_reason::idle_timeout);
        } else if (phase_ == lifecycle_phase::serving && !stopping_ && now >= protocol_at_) {
          protocol_at_ = time_point::max();
          if (protocol_stops_) a |= stop(now, close_reason::idle_timeout, protocol_detail_);
          else a |= act::protocol_due;
        } else if (!close_expired_ && now >= close_deadline_) {
          // The peer did not answer the protocol's closing handshake: TLS's close comes next.
          close_expired_ = true;
          close_deadline_ = time_point::max();
          set_reason(close_reason::shutdown_timeout, "the peer did not answer our close frame");
          a |= cancel_pending_read();
        }
        break;
      }
      if (now >= closing_deadline()) {
        if (write_waiting_) {
          // A server that stopped reading would hold this write, and us, for ever.
          write_cut_ = true;
          tls_usable_ = false;  // half a record is out: no close_notify can follow
          write_waiting_ = false;
          if (reason_ != close_reason::idle_timeout && outranked_by_a_cut(reason_)) {
            reason_ = close_reason::shutdown_timeout;
            detail_ = "the server stopped reading what we still had to send";
          }
          if (!socket_closed_) a |= act::cancel_write;
          a |= quit_client(now);
        } else if (!stopping_) {
          set_reason(close_reason::shutdown_timeout, "no close_notify from the server");
          tls_usable_ = false;  // ours is out already: nothing more to say
          a |= quit_client(now);
        }
      } else if (!stopping_ && now >= protocol_at_) {
        // The protocol's opening (the WebSocket upgrade) did not finish in time.
        protocol_at_ = time_point::max();
        set_reason(close_reason::handshake_timeout, protocol_detail_);
        a |= quit_client(now);
      } else if (!stopping_ && closing_since_ == time_point::max() && half_close_ == half_close::none &&
                 limits_.idle.count() > 0 && now - last_activity_ >= limits_.idle) {
        set_reason(close_reason::idle_timeout);
        a |= quit_client(now);
      } else if (half_close_waits() && now - last_activity_ >= limits_.eof_wait) {
        // The server has been quiet: it said what it had to say.
        if (in_band_) {
          half_close_ = half_close::none;
          if (tls_usable_) a |= goodbye_once();
        } else {
          half_close_ = half_close::due;
          a |= act::wake_writer;
        }
      }
      if (!close_expired_ && now >= close_deadline_) {
        // The server did not answer our close frame: TLS's close comes next.
        close_expired_ = true;
        close_deadline_ = time_point::max();
        set_reason(close_reason::shutdown_timeout, "the server did not answer our close frame");
        a |= cancel_pending_read();
      }
      break;
    case lifecycle_phase::closing:
    case lifecycle_phase::lingering:
      if (close_expired_ || now < close_deadline_) break;
      close_expired_ = true;
      if (!socket_closed_) a |= act::cancel_close;
      break;
    case lifecycle_phase::closed: break;
  }
  return a;
}

lifecycle_actions connection_lifecycle::handshake_done(time_point now, bool half_close_possible) {
  read_pending_ = false;
  if (phase_ != lifecycle_phase::opening) return {};
  established_ = true;
  half_close_possible_ = half_close_possible;
  phase_ = lifecycle_phase::serving;
  last_activity_ = now;
  // A stop that came during the handshake holds: reading_wanted() is false, and the reader
  // goes straight to its goodbye.
  return settle(now, {});
}

lifecycle_actions connection_lifecycle::handshake_failed(time_point now, const error_code& ec, bool certificate_rejected) {
  read_pending_ = false;
  tls_usable_ = false;
  stopping_ = true;
  certificate_rejected_ = certificate_rejected;
  if (!server()) linger_ = false;  // we gave up; the server owes us nothing
  set_reason(close_reason::handshake_failed, aborted(ec) ? std::string_view{} : std::string_view(describe_tls_error(ec)));
  return settle(now, {});
}

lifecycle_actions connection_lifecycle::connect_failed(time_point now, const error_code&) {
  read_pending_ = false;
  connect_failed_ = true;
  tls_usable_ = false;
  linger_ = false;
  stopping_ = true;
  return settle(now, {});
}

lifecycle_actions connection_lifecycle::read_ended(time_point now, const error_code& ec) {
  read_pending_ = false;
  stopping_ = true;
  lifecycle_actions a;
  if (!server()) {
    // Nothing more comes from the server: our stdin has nowhere to go, and a write still
    // waiting for a server that no longer reads gets --shutdown-timeout.
    if (half_close_ == half_close::waiting_quiet || half_close_ == half_close::due) half_close_ = half_close::none;
    if (closing_since_ == time_point::max()) closing_since_ = now;
    a |= act::stop_input | act::wake_writer;
  }
  if (aborted(ec) && (read_cancelled_ || reason_ || user_quit_ || socket_closed_)) return settle(now, a);
  if (tls_failed_by(ec)) tls_usable_ = false;
  if (is_reset(ec)) linger_ = false;
  if (!server() && !received_any_ && ec.category() == error::get_ssl_category()) {
    // TLS 1.3 servers refuse a client certificate (or its absence) after the handshake: the
    // alert arrives on the first read. For the user that is a failed handshake.
    set_reason(close_reason::handshake_failed, "the server refused the connection: " + describe_tls_error(ec));
    return settle(now, a);
  }
  const close_reason reason = classify_io_error(ec);
  const bool ordinary = reason == close_reason::clean || reason == close_reason::peer_truncated;
  set_reason(reason, ordinary ? std::string{} : describe_tls_error(ec));
  return settle(now, a);
}

lifecycle_actions connection_lifecycle::write_failed(time_point now, const error_code& ec) {
  write_waiting_ = false;
  tls_usable_ = false;  // a write cut short leaves half a record behind
  stopping_ = true;
  if (!(aborted(ec) && (reason_ || socket_closed_))) set_reason(classify_io_error(ec), describe_tls_error(ec));
  if (is_reset(ec)) linger_ = false;
  return settle(now, cancel_pending_read() | act::wake_reader);
}

lifecycle_actions connection_lifecycle::write_ended(time_point now, const error_code& ec, std::size_t bytes) {
  write_waiting_ = false;
  if (bytes > 0) last_activity_ = now;
  if (!ec) {
    if (half_close_ == half_close::sending) half_close_ = half_close::sent;
    return settle(now, {});
  }
  tls_usable_ = false;  // half a record may be out
  if (half_close_ == half_close::sending) half_close_ = half_close::none;
  if (is_reset(ec)) linger_ = false;
  // The reader goes on: the server's last bytes may still be on their way to us, and how
  // its read ends (the server's close_notify, a reset) says more than our write's error.
  // A cut write has its reason already; a cancel after our quit is ours.
  if (!write_cut_ && !(aborted(ec) && (reason_ || user_quit_ || socket_closed_)) && !write_error_) write_error_ = ec;
  return settle(now, {});
}

lifecycle_actions connection_lifecycle::stop(time_point now, close_reason reason, std::string_view detail) {
  // Once the close has begun, its own outcome says how the connection ended.
  if (phase_ == lifecycle_phase::closing || phase_ == lifecycle_phase::lingering || phase_ == lifecycle_phase::closed)
    return {};
  set_reason(reason, detail);
  switch (phase_) {
    case lifecycle_phase::opening:
      // A TLS 1.3 client counts itself connected once its Finished is sent, while we may
      // still be reading it: let a handshake under way finish, briefly, then close properly.
      stopping_ = true;
      opening_deadline_ = std::min(opening_deadline_, now + limits_.stop_grace);
      return settle(now, {});
    case lifecycle_phase::serving:
      stopping_ = true;
      if (in_band_ && tls_usable_) {
        if (goodbye_said_) return {};
        goodbye_said_ = true;
        return settle(now, act::say_goodbye | act::wake_reader);
      }
      // Only the read: the writer flushes what is owed to the peer.
      return settle(now, cancel_pending_read() | act::wake_reader);
    default: return {};
  }
}

lifecycle_actions connection_lifecycle::abort(time_point) {
  set_reason(close_reason::server_shutdown);
  if (socket_closed_ || phase_ == lifecycle_phase::closed) return {};
  stopping_ = true;
  tls_usable_ = false;
  linger_ = false;
  socket_closed_ = true;  // pending operations complete with operation_aborted
  return act::close_socket | act::wake_reader;
}

lifecycle_actions connection_lifecycle::fail(time_point now, std::string_view what) noexcept {
  try {
    set_reason(close_reason::error, what);
  } catch (...) {
    if (!reason_) reason_ = close_reason::error;  // no memory for the detail
  }
  tls_usable_ = false;
  stopping_ = true;
  lifecycle_actions a = cancel_pending_read() | act::wake_reader;
  if (write_waiting_ && !socket_closed_) a |= act::cancel_write;
  return settle(now, a);
}

lifecycle_actions connection_lifecycle::reading_ended(time_point now) {
  stopping_ = true;
  if (phase_ != lifecycle_phase::opening && phase_ != lifecycle_phase::serving) return {};
  phase_ = lifecycle_phase::flushing;
  if (write_error_) set_reason(classify_io_error(write_error_), describe_tls_error(write_error_));
  lifecycle_actions a;
  // A peer that asked for the end (/quit) has had its BYE already.
  if (server() && established_ && tls_usable_ && !peer_finished_ &&
      (reason_ == close_reason::server_shutdown || reason_ == close_reason::idle_timeout))
    a |= goodbye_once();
  return settle(now, a);
}

void connection_lifecycle::peer_finished(std::string_view detail) {
  stopping_ = true;
  peer_finished_ = true;
  if (!reason_ && detail_.empty()) detail_ = detail;
}

lifecycle_actions connection_lifecycle::closing_handshake(time_point now) {
  if ((phase_ != lifecycle_phase::serving && phase_ != lifecycle_phase::flushing) || !tls_usable_) return {};
  close_deadline_ = now + limits_.shutdown;
  close_expired_ = false;
  return settle(now, {});
}

lifecycle_actions connection_lifecycle::protocol_alarm(time_point now, std::chrono::milliseconds limit) {
  lifecycle_actions a = protocol_deadline(now, limit, "");
  protocol_stops_ = false;
  return a;
}

lifecycle_actions connection_lifecycle::protocol_deadline(time_point now, std::chrono::milliseconds limit,
                                                           const char* detail) {
  protocol_at_ = now + limit;
  protocol_detail_ = detail;
  protocol_stops_ = true;
  // The timer, armed at most one period ago, fires by the deadline: no re-arm per request.
  if (protocol_period_ == std::chrono::milliseconds::zero() || limit < protocol_period_) protocol_period_ = limit;
  return settle(now, {});
}

lifecycle_actions connection_lifecycle::quit_client(time_point now) {
  stopping_ = true;
  quitting_ = true;
  if (half_close_ == half_close::waiting_quiet || half_close_ == half_close::due) half_close_ = half_close::none;
  if (closing_since_ == time_point::max()) closing_since_ = now;  // a waiting write gets --shutdown-timeout
  // In band (WebSocket): the read stays for the server's answer to our close frame.
  if (in_band_ && tls_usable_ && phase_ == lifecycle_phase::serving) {
    return settle(now, goodbye_once() | act::stop_input | act::wake_writer);
  }
  // Seed 003's order: the pending read is cancelled and completes before any shutdown.
  return settle(now, cancel_pending_read() | act::stop_input | act::wake_writer);
}

lifecycle_actions connection_lifecycle::cut() {
  cut_by_user_ = true;
  user_quit_ = true;
  set_reason(close_reason::local_quit,
             phase_ == lifecycle_phase::opening ? "interrupted before the connection was up" : "cut by a second signal");
  stopping_ = true;
  tls_usable_ = false;
  linger_ = false;
  if (half_close_ != half_close::sent) half_close_ = half_close::none;
  if (phase_ == lifecycle_phase::opening) return cancel_pending_read() | act::stop_input | act::wake_writer;
  if (socket_closed_ || phase_ == lifecycle_phase::closed) return {};
  socket_closed_ = true;
  return act::close_socket | act::stop_input | act::wake_writer;
}

lifecycle_actions connection_lifecycle::local_quit(time_point now) {
  switch (phase_) {
    case lifecycle_phase::opening: return cut();
    case lifecycle_phase::serving:
    case lifecycle_phase::flushing:
      // Already ending it (a first signal, or a deadline): this one cuts.
      if (user_quit_ || quitting_) return cut();
      user_quit_ = true;
      return quit_client(now);
    case lifecycle_phase::closing:
    case lifecycle_phase::lingering:
      // The close is under way and bounded; a second signal cuts it.
      if (user_quit_ || quitting_) return cut();
      user_quit_ = true;
      return {};
    case lifecycle_phase::closed: return {};
  }
  return {};
}

lifecycle_actions connection_lifecycle::input_ended(time_point now) {
  if (stopping_ || half_close_ != half_close::none || phase_ != lifecycle_phase::serving) return {};
  // In band, the end of input is the protocol's close (WebSocket 1000), not TLS's half-close.
  // Beast's close discards the messages that come after it, so, as on TLS 1.2, it waits
  // until the server has been quiet for eof_wait: its answers to our last messages first.
  if (in_band_ && tls_usable_) {
    if (goodbye_said_) return {};
    half_close_ = half_close::waiting_quiet;
    return settle(now, act::stop_input);
  }
  half_close_ = half_close_possible_ ? half_close::due : half_close::waiting_quiet;
  return settle(now, act::wake_writer);
}

lifecycle_actions connection_lifecycle::goodbye_once() noexcept {
  if (goodbye_said_) return {};
  goodbye_said_ = true;
  return act::say_goodbye;
}

lifecycle_actions connection_lifecycle::output_closed(time_point now) {
  output_closed_ = true;
  lifecycle_actions a = act::stop_input;
  // In band: nobody wants the rest, so the protocol says goodbye (WebSocket 1000).
  if (in_band_ && tls_usable_ && phase_ == lifecycle_phase::serving && !stopping_) {
    return settle(now, a | goodbye_once());
  }
  // A write of ours still waiting must not hold the end: it gets --shutdown-timeout.
  if (write_waiting_ && closing_since_ == time_point::max()) closing_since_ = now;
  // Nobody wants the rest; the server may still be sending: half-close (on TLS 1.2 too: its
  // pending writes are what we want it to drop) and discard until its close_notify.
  if (!stopping_ && phase_ == lifecycle_phase::serving &&
      (half_close_ == half_close::none || half_close_ == half_close::waiting_quiet)) {
    half_close_ = half_close::due;
    a |= act::wake_writer;
  }
  return settle(now, a);
}

lifecycle_actions connection_lifecycle::half_close_begins(time_point now) {
  half_close_ = half_close::sending;
  write_waiting_ = true;
  write_since_ = now;
  if (closing_since_ == time_point::max()) closing_since_ = now;
  return settle(now, {});
}

close_step connection_lifecycle::begin_close(time_point now) {
  if (phase_ == lifecycle_phase::closed) return close_step::done;
  stopping_ = true;
  if (reason_ == close_reason::peer_reset) {
    tls_usable_ = false;  // the peer is gone: nothing to say, nothing to drain
    linger_ = false;
  }
  if (tls_usable_ && !socket_closed_) {
    phase_ = lifecycle_phase::closing;
    close_deadline_ = now + limits_.shutdown;
    close_expired_ = false;
    return close_step::tls_shutdown;
  }
  return linger_or_close(now);
}

close_step connection_lifecycle::linger_or_close(time_point now) {
  if (linger_ && !socket_closed_) {
    phase_ = lifecycle_phase::lingering;
    close_deadline_ = now + limits_.linger;
    close_expired_ = false;
    return close_step::linger;
  }
  phase_ = lifecycle_phase::lingering;
  close_deadline_ = time_point::max();
  return close_step::close_socket;
}

close_step connection_lifecycle::shutdown_ended(time_point now, const error_code& ec) {
  tls_usable_ = false;
  std::optional<close_reason> outcome;
  std::string detail;
  if (aborted(ec) && close_expired_) {
    outcome = close_reason::shutdown_timeout;
    detail = "no close_notify from the peer";
  } else if (!ec || ec == error::eof) {
    // Both close_notify alerts have passed: the peer sends nothing after its own, so no
    // unread input can turn our close() into RST. Lingering would only hold the descriptor.
    outcome = close_reason::clean;
    linger_ = false;
  } else if (ec == boost::asio::ssl::error::stream_truncated) {
    outcome = close_reason::peer_truncated;
  } else if (is_application_data_after_close_notify(ec)) {
    // The peer was still sending when our close_notify left: legal until it reads ours
    // (RFC 8446 6.1). OpenSSL gives up on the TLS layer; the linger collects the rest.
    outcome = close_reason::clean;
    detail = "peer data after our close_notify discarded";
  } else if (is_reset(ec)) {
    outcome = close_reason::peer_reset;
    linger_ = false;
  } else if (!(aborted(ec) && socket_closed_)) {
    outcome = classify_io_error(ec);
    detail = describe_tls_error(ec);
  }
  if (outcome) set_reason(*outcome, detail);
  return linger_or_close(now);
}

close_step connection_lifecycle::linger_ended(time_point) {
  phase_ = lifecycle_phase::lingering;
  close_deadline_ = time_point::max();
  return close_step::close_socket;
}

close_step connection_lifecycle::socket_closed(time_point) {
  socket_closed_ = true;
  phase_ = lifecycle_phase::closed;
  if (!reason_) reason_ = close_reason::error;  // every connection ends with one reason
  // A clean end the user asked for is the user's, whoever's close_notify came first.
  if (user_quit_ && !cut_by_user_ && reason_ == close_reason::clean) reason_ = close_reason::local_quit;
  return close_step::done;
}

std::optional<close_reason> connection_lifecycle::reason() const noexcept { return reason_; }

exit_code connection_lifecycle::exit_status() const noexcept {
  if (cut_by_user_) return exit_interrupted;
  if (!established_) {
    if (opening_expired_) return exit_connect_timeout;
    if (connect_failed_) return exit_connect_failed;
    if (certificate_rejected_) return exit_verify_failed;
    return exit_handshake_failed;
  }
  switch (reason_.value_or(close_reason::error)) {
    case close_reason::clean:
    case close_reason::local_quit:
    case close_reason::server_shutdown: return exit_clean;
    case close_reason::peer_truncated: return truncated_while_owed_ ? exit_truncated : exit_clean;
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

}  // namespace closenotify
