// Every decision about one connection's life, without a socket: the phase, every deadline,
// the first close reason and its detail, whether TLS can still carry a close_notify, whether
// to linger, and for the client the exit code. Server sessions (of every protocol) and the
// client are drivers: they report what happened (events, each with the time it happened) and
// carry out what comes back (actions: cancel the read, cancel the write, wake a waiting
// coroutine, ...), with one timer armed at next_wakeup(). The close path (close.hpp) asks it
// for each close step and reports each step's outcome.
//
// Rules it holds (each has a row in test/unit/connection_lifecycle_test.cpp):
// - The first reason wins; a later event may add nothing but a detail the first one lacked.
// - A stop during the handshake lets a handshake under way finish (stop_grace), then the
//   session closes properly; a stop while serving cancels the pending read, never the
//   writer: what is owed to the peer is flushed first (DESIGN, close path step 1).
// - A write cut short (write timeout, error, or cancelled) leaves half a record: no
//   close_notify can follow. A peer that stopped reading will not read a FIN: no linger.
// - A reset needs neither close_notify nor linger. A clean exchange of close_notify needs no
//   linger: the peer sends nothing after its own.
// - Client: a TCP end without close_notify is a normal end only when nothing more was owed
//   to us: after the server's BYE, after the user quit, or once our stdout was closed. After
//   our end of input it is exit 7: the server may have had more to send.
// - Client, end of input: on TLS 1.3, close_notify at once (half-close, RFC 8446 6.1), and
//   keep reading to the server's close_notify. TLS 1.2 has no half-close (RFC 5246 7.2.1:
//   the peer answers close_notify by discarding its pending writes), so there the client
//   keeps reading until the server has been quiet for eof_wait, then sends close_notify.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <boost/system/error_code.hpp>

#include "closenotify/close_reason.hpp"
#include "closenotify/exit_code.hpp"

namespace closenotify {

struct lifecycle_limits {
  std::chrono::milliseconds handshake{10'000};  // client: resolve, TCP connect and handshake
  std::chrono::milliseconds idle{300'000};      // nothing moved either way; 0: none
  std::chrono::milliseconds write{30'000};      // one wait for a writable socket; 0: none
  std::chrono::milliseconds shutdown{5'000};    // our close_notify unanswered
  std::chrono::milliseconds linger{2'000};      // draining input after our FIN
  std::chrono::milliseconds stop_grace{1'000};  // how long a stop lets a handshake under way finish
  std::chrono::milliseconds eof_wait{1'000};    // client, TLS 1.2: quiet time after our end of input
};

enum class lifecycle_role : std::uint8_t { server, client };

enum class lifecycle_phase : std::uint8_t {
  opening,    // client: resolve and connect; both: the TLS handshake
  serving,    // reading and writing
  flushing,   // reading is over; what is owed to the peer still goes out
  closing,    // TLS shutdown: our close_notify out, the peer's awaited
  lingering,  // our FIN out, input drained until the peer's FIN
  closed,     // the socket is closed: the verdict is final
};

// What the driver must do, now. Several may come at once.
class lifecycle_actions {
 public:
  enum action : std::uint16_t {
    cancel_read = 1 << 0,   // the pending read (the handshake, the client's connect)
    cancel_write = 1 << 1,  // the pending write; TLS is over (half a record may be out)
    cancel_close = 1 << 2,  // the close step under way (TLS shutdown or linger)
    close_socket = 1 << 3,  // at once, with no close step: the connection is cut
    wake_reader = 1 << 4,   // server: a reader waiting for room in the queue must look again
    say_goodbye = 1 << 5,   // the protocol's goodbye (BYE <reason>, a WebSocket close frame) before the close
    stop_input = 1 << 6,    // client: stop reading standard input
    wake_writer = 1 << 7,   // client: the writer waits for the half-close decision
    rearm = 1 << 8,         // next_wakeup() moved earlier than the timer is armed for
    protocol_due = 1 << 9,  // server: the protocol's alarm (protocol_alarm()) went off
  };
  constexpr lifecycle_actions() = default;
  constexpr lifecycle_actions(action a) : bits_(a) {}  // NOLINT: an action is a set of one
  constexpr bool has(action a) const noexcept { return (bits_ & a) != 0; }
  constexpr bool empty() const noexcept { return bits_ == 0; }
  constexpr lifecycle_actions& operator|=(lifecycle_actions other) noexcept {
    bits_ = static_cast<std::uint16_t>(bits_ | other.bits_);
    return *this;
  }
  constexpr bool operator==(const lifecycle_actions&) const = default;
  friend constexpr lifecycle_actions operator|(action a, action b) noexcept { return lifecycle_actions(a) |= b; }

 private:
  std::uint16_t bits_ = 0;
};

constexpr lifecycle_actions operator|(lifecycle_actions a, lifecycle_actions b) noexcept { return a |= b; }
std::string to_string(lifecycle_actions actions);

// What the close path does next (close.hpp carries it out).
enum class close_step : std::uint8_t {
  tls_shutdown,  // send close_notify (with our FIN) unless sent, await the peer's
  linger,        // shutdown(SHUT_WR), drain input until FIN
  close_socket,  // close(), once
  done,
};

class connection_lifecycle {
 public:
  using clock = std::chrono::steady_clock;
  using time_point = clock::time_point;
  using error_code = boost::system::error_code;

  // Starts in `opening`, with the handshake deadline running from `now`. `limits` must
  // outlive the lifecycle (it is the program's configuration).
  connection_lifecycle(lifecycle_role role, const lifecycle_limits& limits, time_point now) noexcept;

  lifecycle_phase phase() const noexcept { return phase_; }
  // When the driver's timer must next call tick(): the earliest deadline, and while serving
  // at least once per write limit (so a stalled write is noticed without re-arming the timer
  // on every write). Records what the driver arms, to tell it when to re-arm (`rearm`).
  time_point next_wakeup(time_point now) noexcept;
  // The timer went off: whatever expired.
  lifecycle_actions tick(time_point now);

  // --- opening
  lifecycle_actions handshake_done(time_point now, bool half_close_possible = true);
  lifecycle_actions handshake_failed(time_point now, const error_code& ec, bool certificate_rejected = false);
  lifecycle_actions connect_failed(time_point now, const error_code& ec);  // client: resolve or TCP connect

  // --- reading. The per-message events are inline: they run once per record.
  void read_started() noexcept {
    read_pending_ = true;
    read_cancelled_ = false;
  }
  void read_resumed() noexcept { read_pending_ = false; }
  void input(time_point now) noexcept {
    last_activity_ = now;
    received_any_ = true;
  }
  // The read ended the stream: eof (the peer's close_notify), truncation, reset, a TLS
  // error, or operation_aborted after our own cancel.
  lifecycle_actions read_ended(time_point now, const error_code& ec);

  // --- writing
  void output(time_point now) noexcept { last_activity_ = now; }  // bytes went out
  // A write waits: the server's for a full socket (timed by the write timeout), the client's
  // whole async_write (data, or the close_notify of a half-close; timed once closing).
  void write_waits(time_point now) noexcept {
    write_waiting_ = true;
    write_since_ = now;
  }
  void write_resumed() noexcept { write_waiting_ = false; }
  lifecycle_actions write_failed(time_point now, const error_code& ec);
  // Client: the write that write_waits() began is over.
  lifecycle_actions write_ended(time_point now, const error_code& ec, std::size_t bytes);

  // --- server: decisions from outside the connection or from its protocol
  lifecycle_actions stop(time_point now, close_reason reason, std::string_view detail = {});
  lifecycle_actions abort(time_point now);  // the drain deadline: cut at once
  lifecycle_actions fail(time_point now, std::string_view what) noexcept;  // an exception in the driver
  // The peer asked for the end (/quit, a WebSocket close frame): no more input wanted; the
  // close_notify exchange that follows decides the reason. `detail` (what the peer said)
  // goes with that reason unless the reason brings its own.
  void peer_finished(std::string_view detail = {});
  // The reader is done. Says `say_goodbye` when the protocol should tell the peer why.
  lifecycle_actions reading_ended(time_point now);
  // A deadline of the protocol's own, `limit` from now (HTTP: a request must be in within
  // --header-timeout of its first byte; a keep-alive connection may wait --keepalive-timeout
  // for the next). When it passes, the connection stops as an idle one does (idle_timeout,
  // `detail`, which must be a literal), and the protocol says its goodbye. Setting one costs
  // no timer operation: from then on the timer wakes at least once per `limit`.
  // Client: the deadline of the protocol's own opening (the WebSocket upgrade); when it
  // passes, handshake_timeout (exit 4) with `detail`, and the quit.
  lifecycle_actions protocol_deadline(time_point now, std::chrono::milliseconds limit, const char* detail);
  // The same, but when it passes the protocol only hears of it (`protocol_due`) and decides
  // (WebSocket: a ping after a silence; a deadline for its pong then).
  lifecycle_actions protocol_alarm(time_point now, std::chrono::milliseconds limit);
  void clear_protocol_deadline() noexcept { protocol_at_ = time_point::max(); }
  // The protocol's own closing handshake begins (WebSocket: our close frame out, the peer's
  // awaited): reading goes on until the peer's answer, for at most the shutdown limit; then
  // the pending read is cancelled and the TLS close follows.
  lifecycle_actions closing_handshake(time_point now);
  // The protocol closes in band (WebSocket: close frames, with reads still pending). A stop
  // then leaves the pending read alone and says `say_goodbye` at once: the protocol sends
  // its close and reads on to the peer's answer (closing_handshake()). Cancelling the read
  // would leave nothing to send it with: Beast's stream fails on any error, a cancel too.
  // For the client likewise: a quit, a deadline or the end of input says `say_goodbye`
  // (once) instead of cancelling the read or half-closing TLS; the driver sends its close
  // frame and calls closing_handshake(), and an unanswered one is shutdown_timeout (exit 9).
  void closes_in_band() noexcept { in_band_ = true; }

  // --- client
  lifecycle_actions local_quit(time_point now);  // Ctrl-C, SIGTERM, /quit, unreadable stdin
  void bye_seen() noexcept { bye_seen_ = true; }
  lifecycle_actions input_ended(time_point now);    // end of standard input
  lifecycle_actions output_closed(time_point now);  // our stdout is gone: nothing more wanted
  // The writer sends our close_notify now (half-close); its outcome comes to write_ended.
  lifecycle_actions half_close_begins(time_point now);

  // --- what the drivers ask
  bool reading_wanted() const noexcept { return phase_ == lifecycle_phase::serving && !stopping_; }
  // Reading is over or never to begin: a stop, a quit, a timeout, an end. A client that sees
  // it between the steps of its opening abandons the opening (a cancel may have come too late).
  bool stopped() const noexcept { return stopping_; }
  bool tls_usable() const noexcept { return tls_usable_; }
  // Client: may the writer send what stdin gives it?
  bool sending_wanted() const noexcept {
    return phase_ == lifecycle_phase::serving && !stopping_ && half_close_ == half_close::none && !output_closed_;
  }
  bool half_close_waits() const noexcept { return half_close_ == half_close::waiting_quiet && !stopping_; }
  bool half_close_due() const noexcept { return half_close_ == half_close::due && !stopping_ && tls_usable_; }
  bool half_closed() const noexcept { return half_close_ == half_close::sent; }

  // --- the close path
  close_step begin_close(time_point now);
  close_step shutdown_ended(time_point now, const error_code& ec);
  close_step linger_ended(time_point now);
  close_step socket_closed(time_point now);

  // --- the verdict
  std::optional<close_reason> reason() const noexcept;  // none: the client never connected
  std::string_view detail() const noexcept { return detail_; }
  // Nothing more was owed to us when the connection ended (BYE, our quit, stdout closed).
  bool nothing_owed() const noexcept { return bye_seen_ || user_quit_ || output_closed_; }
  bool established() const noexcept { return established_; }
  bool opening_expired() const noexcept { return opening_expired_; }
  bool user_quit() const noexcept { return user_quit_; }
  bool cut_by_user() const noexcept { return cut_by_user_; }
  bool write_cut() const noexcept { return write_cut_; }
  // The client's exit code (exit_code.hpp).
  closenotify::exit_code exit_status() const noexcept;

 private:
  enum class half_close : std::uint8_t { none, waiting_quiet, due, sending, sent };

  bool server() const noexcept { return role_ == lifecycle_role::server; }
  void set_reason(close_reason reason, std::string_view detail = {});
  lifecycle_actions cancel_pending_read() noexcept;
  lifecycle_actions goodbye_once() noexcept;  // say_goodbye, unless said already
  time_point wakeup(time_point now) const noexcept;
  time_point closing_deadline() const noexcept;  // client
  // Every event that may move a deadline ends here: `rearm` when the timer is now too late.
  lifecycle_actions settle(time_point now, lifecycle_actions actions) const noexcept;
  lifecycle_actions quit_client(time_point now);
  lifecycle_actions cut();
  close_step linger_or_close(time_point now);

  // Largest first: one of these lives in every connection.
  time_point opening_deadline_;
  time_point last_activity_;
  time_point write_since_;
  time_point closing_since_ = time_point::max();  // client: our quit, our close_notify, or the server's end
  time_point close_deadline_ = time_point::max();
  time_point armed_ = time_point::max();
  time_point protocol_at_ = time_point::max();
  std::chrono::milliseconds protocol_period_{0};
  const char* protocol_detail_ = "";
  bool protocol_stops_ = true;  // the protocol deadline stops the connection; else an alarm
  std::string detail_;
  error_code write_error_;  // client: decides only if the read gives no reason
  const lifecycle_limits& limits_;
  std::optional<close_reason> reason_;
  lifecycle_role role_;
  lifecycle_phase phase_ = lifecycle_phase::opening;
  half_close half_close_ = half_close::none;

  bool tls_usable_ = true;
  bool linger_ = true;
  bool stopping_ = false;  // no more input wanted
  bool read_pending_ = false;
  bool read_cancelled_ = false;
  bool write_waiting_ = false;
  bool received_any_ = false;
  bool established_ = false;
  bool socket_closed_ = false;
  bool opening_expired_ = false;
  bool close_expired_ = false;
  bool peer_finished_ = false;
  bool in_band_ = false;
  bool goodbye_said_ = false;
  // Client.
  bool user_quit_ = false;
  bool quitting_ = false;  // we are ending it: the user, or an idle or shutdown deadline
  bool truncated_while_owed_ = false;
  bool cut_by_user_ = false;
  bool bye_seen_ = false;
  bool output_closed_ = false;
  bool write_cut_ = false;
  bool half_close_possible_ = true;
  bool connect_failed_ = false;
  bool certificate_rejected_ = false;
};

}  // namespace closenotify
