#include "session_io.hpp"

namespace closenotify::server {

session_io::session_io(tcp::socket socket, const session_env& env, connection_lifecycle& lifecycle, connection_record& record)
    : stream_(std::move(socket), env.tls),
      lifecycle_(lifecycle),
      record_(record),
      read_scratch_(env.read_scratch),
      max_queue_(env.limits.max_queue),
      deadline_(env.context.get_executor(), [this] { on_deadline(); }),
      reader_wake_(env.context.get_executor()) {
  error_code ignored;
  stream_.next_layer().set_option(tcp::no_delay(true), ignored);  // replies are small lines
}

void session_io::apply(lifecycle_actions actions) {
  using act = lifecycle_actions;
  if (actions.empty()) return;
  // The close steps are bound to the read's signal: they only run once reading is over.
  if (actions.has(act::cancel_read) || actions.has(act::cancel_close)) read_cancel_.emit(asio::cancellation_type::terminal);
  if (actions.has(act::cancel_write)) write_cancel_.emit(asio::cancellation_type::terminal);
  if (actions.has(act::close_socket)) {
    error_code ignored;
    stream_.next_layer().close(ignored);  // pending operations complete with operation_aborted
  }
  if (actions.has(act::wake_reader)) reader_wake_.notify();
  if (listener_ != nullptr) {
    if (actions.has(act::protocol_due)) listener_->alarm();
    if (actions.has(act::say_goodbye)) listener_->goodbye(lifecycle_.reason().value_or(close_reason::error));
  }
  if (actions.has(act::rearm)) arm_deadline();
}

void session_io::arm_deadline() { deadline_.arm(lifecycle_.next_wakeup(clock::now())); }

void session_io::on_deadline() {
  // Replies sent straight from send() leave the queue's capacity behind; a connection still
  // there at the deadline's next round gives it back.
  if (!writer_active_) release_idle_buffers();
  apply(lifecycle_.tick(clock::now()));
  arm_deadline();
}

session_io::input session_io::take_input(error_code ec) {
  const std::size_t n = read_now(asio::buffer(read_scratch_.data(), read_scratch_.size()), ec);
  if (ec == asio::error::would_block) return {};  // a record still incomplete: wait again
  return {{read_scratch_.data(), n}, static_cast<bool>(ec)};
}

std::size_t session_io::read_now(asio::mutable_buffer buffer, error_code& ec) {
  lifecycle_.read_resumed();
  std::size_t n = 0;
  if (!ec) {
    n = stream_.read_some_now(buffer, ec);
    if (ec == asio::error::would_block && n > 0) ec = {};
    if (n > 0) {
      record_.add_in(n);
      lifecycle_.input(clock::now());
    }
  }
  if (ec && ec != asio::error::would_block) apply(lifecycle_.read_ended(clock::now(), ec));
  return n;
}

void session_io::write_resumed(const error_code& waited) {
  lifecycle_.write_resumed();
  if (waited) apply(lifecycle_.write_failed(clock::now(), waited));
}

void session_io::written(std::size_t n, const error_code& ec) {
  if (n > 0) {
    record_.add_out(n);
    lifecycle_.output(clock::now());
  }
  if (ec && ec != asio::error::would_block) apply(lifecycle_.write_failed(clock::now(), ec));
}

std::optional<close_reason> session_io::end_of_reading() {
  const lifecycle_actions actions = lifecycle_.reading_ended(clock::now());
  apply(actions);
  if (actions.has(lifecycle_actions::say_goodbye)) return lifecycle_.reason();
  return std::nullopt;
}

void session_io::stop(close_reason reason, std::string_view detail) {
  apply(lifecycle_.stop(clock::now(), reason, detail));
}

void session_io::fail(std::string_view what) { apply(lifecycle_.fail(clock::now(), what)); }

asio::awaitable<bool> session_io::wait_for_room() {
  while (reading() && queued_.size() >= max_queue_) co_await reader_wake_.wait();
  co_return reading();
}

asio::awaitable<void> session_io::writer_idle() {
  while (writer_active_) co_await reader_wake_.wait();
}

void session_io::send(std::string_view bytes) {
  if (queued_.empty() && !writer_active_ && lifecycle_.tls_usable()) {
    // Nothing ahead of these bytes: send them from where they are (an echo, from the
    // worker's read buffer) and queue only what the socket would not take.
    bytes.remove_prefix(send_now(bytes));
    if (bytes.empty() || !lifecycle_.tls_usable()) return;
    queued_.append(bytes);
    start_writer();
    return;
  }
  queued_.append(bytes);
  flush();
}

std::span<char> session_io::append_space(std::size_t n) {
  const std::size_t at = queued_.size();
  queued_.resize(at + n);
  return {queued_.data() + at, n};
}

void session_io::flush() {
  // A writer under way sends what was queued behind its own bytes when it gets there.
  if (writer_active_ || !lifecycle_.tls_usable()) return;
  // None: send from here (a request/response peer gets its answer without a scheduler
  // round), and start one only for what the socket would not take.
  queued_.erase(0, send_now(queued_));
  if (queued_.empty() || !lifecycle_.tls_usable()) return;
  start_writer();
}

std::size_t session_io::send_now(std::string_view bytes) {
  std::size_t sent = 0;
  error_code ec;
  while (sent < bytes.size() && !ec) sent += stream_.write_some_now(asio::buffer(bytes.substr(sent)), ec);
  written(sent, ec);
  // What is not sent starts with the rest of a record OpenSSL holds: whoever queues it
  // retries it from the front of the queue, as a retried SSL_write must.
  return sent;
}

void session_io::start_writer() {
  writer_active_ = true;
  // Detached: the loop reports its own failures, and touches nothing of ours after it has
  // cleared writer_active_ (the session may end as soon as the reader sees that).
  asio::co_spawn(stream_.get_executor(), write_loop(), asio::detached);
}

asio::awaitable<void> session_io::write_loop() {
  // Runs while there is something to send; it starts because the socket has just refused
  // bytes, so its first write waits for writability.
  try {
    bool must_wait = true;
    while (!queued_.empty() && lifecycle_.tls_usable()) {
      std::swap(queued_, inflight_);
      reader_wake_.notify();  // room in the queue
      // send_now() stops only where the socket is full (or on an error, which ends TLS).
      for (std::size_t sent = 0; sent < inflight_.size() && lifecycle_.tls_usable(); must_wait = true) {
        if (must_wait) {
          lifecycle_.write_waits(clock::now());  // the deadline times this wait (write timeout)
          const auto [ec] = co_await stream_.async_wait_writable(asio::bind_cancellation_slot(write_cancel_.slot(), use_nothrow));
          lifecycle_.write_resumed();
          if (ec) apply(lifecycle_.write_failed(clock::now(), ec));
        }
        if (lifecycle_.tls_usable()) sent += send_now(std::string_view(inflight_).substr(sent));
      }
      must_wait = false;  // the socket took the whole batch: try the next one at once
      inflight_.clear();
    }
    release_idle_buffers();
  } catch (...) {
    apply(lifecycle_.fail(clock::now(), "the writer failed"));
  }
  writer_active_ = false;
  reader_wake_.notify();  // the reader may be waiting for the writer's end
}

void session_io::release_idle_buffers() {
  // A burst grows the queues; an idle connection should not keep what it needed then.
  constexpr std::size_t keep = 4 * 1024;
  if (inflight_.capacity() > keep) std::string().swap(inflight_);
  if (queued_.capacity() > keep) std::string().swap(queued_);
}

}  // namespace closenotify::server
