// One connection: owns its TLS stream; the reader sends replies itself while the socket takes
// them, and a writer runs beside it (full duplex) around a bounded queue only while it does
// not; a watchdog timer enforces every deadline, and the end goes through common's
// graceful_close and connection_record.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include <boost/asio/bind_cancellation_slot.hpp>

#include "closenotify/asio.hpp"
#include "closenotify/tls_stream.hpp"
#include "closenotify/close_reason.hpp"
#include "closenotify/connection_record.hpp"
#include "closenotify/line_reader.hpp"

namespace closenotify::server {

struct worker;

// The coroutine the listener spawns for each accepted socket.
asio::awaitable<void> run_session(tcp::socket socket, worker& w, std::uint64_t id);

class session {
 public:
  session(tcp::socket socket, worker& w, std::uint64_t id);
  session(const session&) = delete;
  session& operator=(const session&) = delete;
  ~session();

  asio::awaitable<void> run();

  // Both run on the session's own thread (the worker posts them there).
  void stop(close_reason reason);  // orderly: stop reading, flush, close_notify
  void abort();                    // the drain deadline passed: close the socket now

 private:
  using clock = std::chrono::steady_clock;
  enum class phase { handshake, serving };

  asio::awaitable<void> serve();
  void arm_watchdog();
  asio::awaitable<void> read_raw();
  asio::awaitable<void> read_lines();
  asio::awaitable<void> write_loop();
  asio::awaitable<void> handle_line(std::string_view line);
  asio::awaitable<void> stream_bulk(std::uint64_t bytes);
  asio::awaitable<bool> wait_for_room();
  // Checked before calling wait_for_room(): a coroutine call per message costs a frame.
  bool has_room() const noexcept;
  std::string_view take_input(error_code& ec);
  // Completes when take_input() has something: input, an end, or an error.
  auto input_ready() {
    return stream_.async_wait_readable(asio::bind_cancellation_slot(read_cancel_.slot(), use_nothrow));
  }
  auto wait(asio::steady_timer& event) {
    event.expires_at(clock::time_point::max());
    return event.async_wait(use_nothrow);
  }

  void queue(std::string_view bytes);
  void release_idle_buffers();
  std::size_t send_now(std::string_view bytes);  // what the socket takes now; the rest waits
  void send_queued_now();
  void kick_writer();
  void start_writer();  // for what the socket has just refused
  void on_read_error(const error_code& ec);
  void on_write_error(const error_code& ec);
  void set_reason(close_reason reason, std::string_view detail = {});
  void say_goodbye();
  clock::time_point next_check() const;
  void check_deadlines();

  worker& worker_;
  tls_stream stream_;
  connection_record record_;
  asio::steady_timer watchdog_timer_;
  asio::steady_timer reader_wake_;  // room in the queue, or stop
  asio::cancellation_signal read_cancel_;
  asio::cancellation_signal write_cancel_;

  phase phase_ = phase::handshake;
  std::optional<close_reason> reason_;
  std::string detail_;
  bool tls_alive_ = true;
  bool handshake_cancelled_ = false;  // by its deadline (or the drain's grace running out)
  bool stopping_ = false;
  bool reading_ = false;
  bool writing_ = false;
  bool body_done_ = false;
  bool watchdog_armed_ = false;
  bool writer_active_ = false;  // a writer is sending the queue; it clears this as it ends
  int writers_alive_ = 0;       // spawned writers not yet completed
  std::exception_ptr writer_failure_;
  bool line_mode_ = false;
  bool mid_bulk_ = false;

  clock::time_point handshake_deadline_ = clock::time_point::max();
  clock::time_point last_activity_;
  clock::time_point write_progress_;

  std::string out_;       // queued for the peer, filled by the reader
  std::string inflight_;  // being written by the writer
};

}  // namespace closenotify::server
