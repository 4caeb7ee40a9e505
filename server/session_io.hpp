// The I/O of one server connection, as its protocol handler sees it, and the driver of its
// lifecycle: input from the TLS stream into the worker's read buffer; output sent at once
// while the socket takes it, and by a writer coroutine, started only while the socket does
// not, from a bounded queue (full duplex); one deadline armed where the lifecycle says.
// Every outcome goes to the lifecycle, and what it answers is carried out in apply().
//
// Per message: no coroutine frame and no timer operation. A handler awaits input_ready()
// (an operation, not a coroutine) and takes the bytes with take_input(); a reply goes out
// with one send. The deadline wakes at least once per write timeout and asks the
// lifecycle what expired, instead of being re-armed on every byte.
#pragma once

#include <span>
#include <string>
#include <string_view>

#include <boost/asio/bind_cancellation_slot.hpp>

#include "closenotify/asio.hpp"
#include "closenotify/connection_lifecycle.hpp"
#include "closenotify/connection_record.hpp"
#include "closenotify/deadline.hpp"
#include "closenotify/tls_stream.hpp"
#include "closenotify/wakeup.hpp"
#include "session_env.hpp"

namespace closenotify::server {

// A protocol that closes in band (WebSocket) hears from the lifecycle here.
class protocol_listener {
 public:
  virtual void alarm() = 0;                    // the protocol_alarm() has passed
  virtual void goodbye(close_reason why) = 0;  // stopped: send the protocol's close

 protected:
  ~protocol_listener() = default;
};

class session_io {
 public:
  using clock = std::chrono::steady_clock;

  session_io(tcp::socket socket, const session_env& env, connection_lifecycle& lifecycle, connection_record& record);
  session_io(const session_io&) = delete;
  session_io& operator=(const session_io&) = delete;

  tls_stream& stream() noexcept { return stream_; }

  // --- input
  bool reading() const noexcept { return lifecycle_.reading_wanted(); }
  // Completes when take_input() has something: input, an end, or an error.
  auto input_ready() {
    lifecycle_.read_started();
    return stream_.async_wait_readable(asio::bind_cancellation_slot(read_cancel_.slot(), use_nothrow));
  }
  struct input {
    std::string_view bytes;  // in the worker's buffer: copy out before the next await
    bool ended = false;      // the stream's end, or an error: the lifecycle has the reason
  };
  input take_input(error_code waited);
  // The same into a caller's buffer (a transport for a library that reads itself, like
  // Beast's WebSocket stream); would_block: wait again.
  template <class Handler>
  void wait_readable(Handler&& handler) {
    lifecycle_.read_started();
    stream_.async_wait_readable(asio::bind_cancellation_slot(read_cancel_.slot(), std::forward<Handler>(handler)));
  }
  std::size_t read_now(asio::mutable_buffer buffer, error_code& ec);

  // --- output
  bool has_room() const noexcept { return reading() && queued_.size() < max_queue_; }
  asio::awaitable<bool> wait_for_room();  // false: reading is over
  void send(std::string_view bytes);       // what the socket takes now; the rest is queued
  void append(std::string_view bytes) { queued_.append(bytes); }  // goes out with the next send
  std::span<char> append_space(std::size_t n);                     // filled by the caller, then flush()
  void flush();
  // For a transport whose library writes itself: one record's worth now (would_block: wait
  // with wait_writable, timed by the write timeout, then report with write_resumed).
  template <class ConstBuffers>
  std::size_t write_now(const ConstBuffers& buffers, error_code& ec) {
    if (!lifecycle_.tls_usable()) {
      ec = asio::error::shut_down;  // half a record is out, or TLS is over: nothing may follow
      return 0;
    }
    const std::size_t n = stream_.write_some_now(buffers, ec);
    written(n, ec);
    return n;
  }
  template <class Handler>
  void wait_writable(Handler&& handler) {
    lifecycle_.write_waits(clock::now());
    stream_.async_wait_writable(asio::bind_cancellation_slot(write_cancel_.slot(), std::forward<Handler>(handler)));
  }
  void write_resumed(const error_code& waited);

  // --- decisions of the protocol
  void stop(close_reason reason, std::string_view detail);
  void fail(std::string_view what);  // no close_notify can follow
  void peer_finished() noexcept { lifecycle_.peer_finished(); }
  // The protocol's own deadline, `limit` from now (connection_lifecycle::protocol_deadline).
  void protocol_deadline(std::chrono::milliseconds limit, const char* detail) {
    apply(lifecycle_.protocol_deadline(clock::now(), limit, detail));
  }
  void clear_protocol_deadline() noexcept { lifecycle_.clear_protocol_deadline(); }
  // An alarm instead, for the listener (connection_lifecycle::protocol_alarm).
  void protocol_alarm(std::chrono::milliseconds limit) { apply(lifecycle_.protocol_alarm(clock::now(), limit)); }
  // From here the protocol closes in band and `listener` hears its alarms and goodbyes
  // (connection_lifecycle::closes_in_band); nullptr when it goes.
  void closes_in_band(protocol_listener* listener) noexcept {
    listener_ = listener;
    if (listener != nullptr) lifecycle_.closes_in_band();
  }
  void peer_finished(std::string_view detail) { lifecycle_.peer_finished(detail); }
  void set_protocol(connection_protocol p) noexcept { record_.set_protocol(p); }
  bool tls_usable() const noexcept { return lifecycle_.tls_usable(); }
  // The protocol's closing handshake is under way, bounded by the shutdown limit.
  void closing_handshake() { apply(lifecycle_.closing_handshake(clock::now())); }
  // The handler's reading is over. The reason to tell the peer, when the lifecycle wants a
  // goodbye (BYE shutting-down, BYE idle-timeout).
  std::optional<close_reason> end_of_reading();

  // --- the session's
  void apply(lifecycle_actions actions);
  void arm_deadline();
  asio::awaitable<void> writer_idle();  // everything flushed, or given up
  deadline& timer() noexcept { return deadline_; }
  asio::cancellation_signal& read_cancel() noexcept { return read_cancel_; }

 private:
  void on_deadline();
  std::size_t send_now(std::string_view bytes);
  void written(std::size_t n, const error_code& ec);
  void start_writer();
  asio::awaitable<void> write_loop();
  void release_idle_buffers();

  tls_stream stream_;
  connection_lifecycle& lifecycle_;
  connection_record& record_;
  std::span<char> read_scratch_;
  std::size_t max_queue_;
  deadline deadline_;
  protocol_listener* listener_ = nullptr;
  wakeup reader_wake_;  // the writer made room or ended, or a stop: the reader looks again
  asio::cancellation_signal read_cancel_;  // the read, the handshake, and the close steps
  asio::cancellation_signal write_cancel_;
  bool writer_active_ = false;
  std::string queued_;    // for the peer, filled by the handler
  std::string inflight_;  // being written by the writer
};

}  // namespace closenotify::server
