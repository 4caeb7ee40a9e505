#include "session.hpp"

#include <algorithm>

#include <boost/asio/bind_cancellation_slot.hpp>

#include "closenotify/bulk_data.hpp"
#include "closenotify/close.hpp"
#include "closenotify/command.hpp"
#include "closenotify/log.hpp"
#include "closenotify/sha256.hpp"
#include "closenotify/tls_context.hpp"
#include "server.hpp"
#include "worker.hpp"

namespace closenotify::server {

namespace {
constexpr std::size_t bulk_chunk = 64 * 1024;
// How long a drain lets a handshake under way go on (its own deadline still applies).
constexpr auto drain_handshake_grace = std::chrono::seconds(1);

std::string peer_name(const tcp::socket& socket) {
  error_code ec;
  const auto ep = socket.remote_endpoint(ec);
  if (ec) return "unknown";
  const auto addr = ep.address();
  return (addr.is_v6() ? "[" + addr.to_string() + "]" : addr.to_string()) + ":" + std::to_string(ep.port());
}
}  // namespace

asio::awaitable<void> run_session(tcp::socket socket, worker& w, std::uint64_t id) {
  try {
    session s(std::move(socket), w, id);
    co_await s.run();
  } catch (const std::exception& e) {
    // The session's connection_record has already closed it with reason 'error'.
    log_event(log_level::error, "session_exception", {{"id", id}, {"what", std::string_view(e.what())}});
  }
  w.owner.release_slot();
}

session::session(tcp::socket socket, worker& w, std::uint64_t id)
    : worker_(w),
      stream_(std::move(socket), w.tls),
      record_(w.counts, id, peer_name(stream_.next_layer())),
      watchdog_timer_(w.ioc),
      reader_wake_(w.ioc) {
  error_code ignored;
  stream_.next_layer().set_option(tcp::no_delay(true), ignored);  // replies are small lines
  worker_.sessions.insert(this);
  // Accepted just as the drain began: the drain's sweep may have missed this session.
  if (worker_.draining) stop(close_reason::server_shutdown);
}

session::~session() { worker_.sessions.erase(this); }

asio::awaitable<void> session::run() {
  handshake_deadline_ = std::min(handshake_deadline_, clock::now() + worker_.config.session.handshake_timeout);
  arm_watchdog();
  std::exception_ptr failure;
  try {
    co_await serve();
  } catch (...) {
    failure = std::current_exception();
  }
  // The watchdog's callback refers to this session: wait for its last run before going on.
  body_done_ = true;
  watchdog_timer_.cancel();
  while (watchdog_armed_) co_await wait(reader_wake_);
  if (failure) std::rethrow_exception(failure);
  // A peer that stopped reading will not read a FIN either: skip the linger.
  const close_request request{reason_, tls_alive_, reason_ != close_reason::write_timeout};
  const close_result result = co_await graceful_close(stream_, request, worker_.config.session.close);
  record_.close(result.reason, detail_.empty() ? std::string_view(result.detail) : std::string_view(detail_));
}

asio::awaitable<void> session::serve() {
  const auto [ec] = co_await stream_.async_handshake(ssl::stream_base::server,
                                                     asio::bind_cancellation_slot(read_cancel_.slot(), use_nothrow));
  if (ec) {
    tls_alive_ = false;
    set_reason(close_reason::handshake_failed, describe_tls_error(ec));
    co_return;
  }
  line_mode_ = selected_alpn(stream_) == alpn_line_protocol;
  record_.set_protocol(line_mode_ ? "line" : "raw");
  phase_ = phase::serving;
  last_activity_ = clock::now();
  watchdog_timer_.cancel();  // it sleeps until the handshake deadline: re-arm for idle/write

  // This coroutine reads; replies go out from queue() at once, and a writer coroutine is
  // started only while the socket will not take them (see kick_writer): an idle connection
  // holds no writer at all.
  std::exception_ptr reader_failure;
  try {
    if (line_mode_) co_await read_lines();
    else co_await read_raw();
  } catch (...) {
    reader_failure = std::current_exception();
    tls_alive_ = false;  // a running writer stops at once
    write_cancel_.emit(asio::cancellation_type::terminal);
  }
  // Flushed, or given up: either way no writer may outlive the session.
  while (writer_active_ || writers_alive_ > 0) co_await wait(reader_wake_);
  if (reader_failure) std::rethrow_exception(reader_failure);
  if (writer_failure_) std::rethrow_exception(writer_failure_);
}

void session::arm_watchdog() {
  watchdog_armed_ = true;
  watchdog_timer_.expires_at(next_check());
  watchdog_timer_.async_wait([this](const error_code&) {
    watchdog_armed_ = false;
    if (body_done_) {
      reader_wake_.cancel();  // run() is waiting for this last call
      return;
    }
    // Replies sent straight from queue() leave the queue's capacity behind; a connection
    // still there at the watchdog's next round gives it back.
    if (!writer_active_) release_idle_buffers();
    check_deadlines();
    arm_watchdog();
  });
}

session::clock::time_point session::next_check() const {
  const auto& limits = worker_.config.session;
  if (phase_ == phase::handshake) return handshake_cancelled_ ? clock::time_point::max() : handshake_deadline_;
  // Waking at least once per write timeout bounds how late a stalled write is noticed,
  // without re-arming the timer on every write.
  auto at = clock::now() + limits.write_timeout;
  if (!stopping_) at = std::min(at, last_activity_ + limits.idle_timeout);
  if (writing_) at = std::min(at, write_progress_ + limits.write_timeout);
  return at;
}

void session::check_deadlines() {
  const auto now = clock::now();
  const auto& limits = worker_.config.session;
  if (phase_ == phase::handshake) {
    if (now >= handshake_deadline_ && !handshake_cancelled_) {
      set_reason(close_reason::handshake_timeout);
      stopping_ = true;
      handshake_cancelled_ = true;
      read_cancel_.emit(asio::cancellation_type::terminal);
    }
    return;
  }
  if (writing_ && now - write_progress_ >= limits.write_timeout) {
    set_reason(close_reason::write_timeout, "the peer stopped reading");
    tls_alive_ = false;
    writing_ = false;
    write_cancel_.emit(asio::cancellation_type::terminal);
    stop(close_reason::write_timeout);
    return;
  }
  if (!stopping_ && !writing_ && now - last_activity_ >= limits.idle_timeout) stop(close_reason::idle_timeout);
}

void session::stop(close_reason reason) {
  set_reason(reason);
  stopping_ = true;
  if (phase_ == phase::handshake) {
    // A TLS 1.3 client counts itself connected once its Finished is sent, while we may still
    // be reading it: let a handshake under way finish, briefly, then close it properly.
    handshake_deadline_ = std::min(handshake_deadline_, clock::now() + drain_handshake_grace);
    watchdog_timer_.cancel();  // re-arm for the shorter deadline
    return;
  }
  read_cancel_.emit(asio::cancellation_type::terminal);  // the pending read
  reader_wake_.cancel();
}

void session::abort() {
  stop(close_reason::server_shutdown);
  tls_alive_ = false;
  error_code ignored;
  stream_.next_layer().close(ignored);  // pending operations complete with operation_aborted
}

void session::set_reason(close_reason reason, std::string_view detail) {
  if (reason_) return;
  reason_ = reason;
  detail_ = detail;
}

bool session::has_room() const noexcept { return !stopping_ && out_.size() < worker_.config.session.max_queue; }

asio::awaitable<bool> session::wait_for_room() {
  while (!stopping_ && out_.size() >= worker_.config.session.max_queue) co_await wait(reader_wake_);
  co_return !stopping_;
}

void session::queue(std::string_view bytes) {
  if (out_.empty() && !writer_active_ && tls_alive_) {
    // Nothing ahead of these bytes: send them from where they are (an echo, from the
    // worker's read buffer) and queue only what the socket would not take.
    bytes.remove_prefix(send_now(bytes));
    if (bytes.empty() || !tls_alive_) return;
    out_.append(bytes);
    start_writer();
    return;
  }
  out_.append(bytes);
  kick_writer();
}

void session::kick_writer() {
  // A writer under way sends what was queued behind its own bytes when it gets there.
  if (writer_active_ || !tls_alive_) return;
  // None: send from here (a request/response peer gets its answer without a scheduler
  // round), and start one only for what the socket would not take.
  send_queued_now();
  if (out_.empty() || !tls_alive_) return;
  start_writer();
}

void session::start_writer() {
  writer_active_ = true;
  ++writers_alive_;
  asio::co_spawn(stream_.get_executor(), write_loop(), [this](std::exception_ptr e) {
    --writers_alive_;
    if (e) {
      writer_active_ = false;
      if (!writer_failure_) writer_failure_ = e;
      stop(close_reason::error);
    }
    reader_wake_.cancel();  // serve() may be waiting for the writers to be gone
  });
}

std::size_t session::send_now(std::string_view bytes) {
  std::size_t sent = 0;
  error_code ec;
  while (sent < bytes.size() && !ec) sent += stream_.write_some_now(asio::buffer(bytes.substr(sent)), ec);
  if (sent > 0) {
    record_.add_out(sent);
    last_activity_ = clock::now();
  }
  if (ec && ec != asio::error::would_block) on_write_error(ec);
  // What is not sent starts with the rest of a record OpenSSL holds: whoever queues it
  // retries it from the front of the queue, as a retried SSL_write must.
  return sent;
}

void session::send_queued_now() { out_.erase(0, send_now(out_)); }

std::string_view session::take_input(error_code& ec) {
  // The worker's buffer serves every session of the thread: the caller copies out of it
  // before its next await.
  auto& scratch = worker_.read_scratch;
  const std::size_t n = stream_.read_some_now(asio::buffer(scratch), ec);
  if (ec == asio::error::would_block && n > 0) ec = {};
  if (n > 0) {
    record_.add_in(n);
    last_activity_ = clock::now();
  }
  return {scratch.data(), n};
}

void session::on_read_error(const error_code& ec) {
  stopping_ = true;
  if (ec == asio::error::operation_aborted && reason_) return;  // we cancelled it
  if (tls_failed_by(ec)) tls_alive_ = false;
  const close_reason reason = classify_io_error(ec);
  set_reason(reason, reason == close_reason::clean || reason == close_reason::peer_truncated ? std::string{}
                                                                                              : describe_tls_error(ec));
}

void session::on_write_error(const error_code& ec) {
  tls_alive_ = false;  // a write cut short leaves half a record behind
  if (!(ec == asio::error::operation_aborted && reason_)) set_reason(classify_io_error(ec), describe_tls_error(ec));
  stopping_ = true;
  if (reading_) read_cancel_.emit(asio::cancellation_type::terminal);
  reader_wake_.cancel();
}

asio::awaitable<void> session::read_raw() {
  while (!stopping_) {
    if (!has_room() && !co_await wait_for_room()) break;
    reading_ = true;
    auto [ec] = co_await input_ready();
    reading_ = false;
    const std::string_view bytes = ec ? std::string_view{} : take_input(ec);
    if (ec == asio::error::would_block) continue;  // a record still incomplete
    // Echo what arrived even if a stop raced with the read: every byte read is owed back.
    if (!bytes.empty()) queue(bytes);
    if (ec) {
      on_read_error(ec);
      break;
    }
  }
}

asio::awaitable<void> session::read_lines() {
  line_reader lines(worker_.config.session.max_line);
  while (!stopping_) {
    const auto next = lines.next();
    if (next.what == line_reader::status::line) {
      co_await handle_line(next.line);
      continue;
    }
    if (next.what == line_reader::status::too_long) {
      queue("ERR line-too-long\n");
      set_reason(close_reason::protocol_error, "line longer than --max-line");
      stopping_ = true;
      break;
    }
    reading_ = true;
    auto [ec] = co_await input_ready();
    reading_ = false;
    lines.append(ec ? std::string_view{} : take_input(ec));
    if (ec == asio::error::would_block) continue;  // a record still incomplete
    if (ec) {
      on_read_error(ec);
      break;
    }
  }
  say_goodbye();
}

void session::say_goodbye() {
  // Mid-/bulk a BYE line would read as bulk data; the close_notify alone says it all.
  if (!line_mode_ || mid_bulk_ || !tls_alive_) return;
  if (reason_ == close_reason::server_shutdown) queue("BYE shutting-down\n");
  else if (reason_ == close_reason::idle_timeout) queue("BYE idle-timeout\n");
}

asio::awaitable<void> session::handle_line(std::string_view line) {
  const command cmd = parse_command(line);
  if (cmd.kind == command_kind::bulk) co_return co_await stream_bulk(cmd.bulk_bytes);
  if (!has_room() && !co_await wait_for_room()) co_return;
  switch (cmd.kind) {
    case command_kind::echo:
      out_.append(line);
      queue("\n");
      break;
    case command_kind::ping: queue("PONG\n"); break;
    case command_kind::stats: queue(worker_.owner.stats().to_json() + "\n"); break;
    case command_kind::help: queue(help_text()); break;
    case command_kind::quit:
      // The peer asked for the close; how its close_notify answers ours decides the reason.
      queue("BYE\n");
      stopping_ = true;
      break;
    case command_kind::unknown: queue("ERR unknown-command /" + std::string(cmd.name) + "\n"); break;
    case command_kind::bad_argument: queue("ERR bad-argument /" + std::string(cmd.name) + "\n"); break;
    case command_kind::bulk: break;
  }
}

asio::awaitable<void> session::stream_bulk(std::uint64_t bytes) {
  sha256 hash;
  mid_bulk_ = true;
  for (std::uint64_t offset = 0; offset < bytes;) {
    if (!has_room() && !co_await wait_for_room()) co_return;  // stopped mid-stream: no trailer
    const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(bytes - offset, bulk_chunk));
    const std::size_t at = out_.size();
    out_.resize(at + n);
    const std::span<char> chunk(out_.data() + at, n);
    fill_bulk_data(offset, chunk);
    hash.update(chunk);
    offset += n;
    kick_writer();
  }
  mid_bulk_ = false;
  queue("SHA256 " + hash.hex_digest() + "\n");
}

asio::awaitable<void> session::write_loop() {
  // Ends once the queue is empty; writer_active_ drops in the same step, so a queue() right
  // after finds no writer and sends (or starts one) itself. It starts because the socket has
  // just refused bytes: retrying before it is writable would be a futile write.
  bool must_wait = true;
  while (!out_.empty() && tls_alive_) {
    std::swap(out_, inflight_);
    reader_wake_.cancel();  // room in the queue
    // send_now() stops only where the socket is full (or on an error, which ends TLS).
    for (std::size_t sent = 0; sent < inflight_.size(); must_wait = true) {
      if (must_wait) {
        writing_ = true;  // the watchdog times this wait (write timeout)
        write_progress_ = clock::now();
        const auto [ec] = co_await stream_.async_wait_writable(asio::bind_cancellation_slot(write_cancel_.slot(), use_nothrow));
        writing_ = false;
        if (ec) on_write_error(ec);
      }
      if (tls_alive_) sent += send_now(std::string_view(inflight_).substr(sent));
      if (!tls_alive_) {
        writer_active_ = false;
        co_return;
      }
    }
    must_wait = false;  // the socket took the whole batch: try the next one at once
    inflight_.clear();
  }
  release_idle_buffers();
  writer_active_ = false;
}

void session::release_idle_buffers() {
  // A burst grows the queues; an idle connection should not keep what it needed then.
  constexpr std::size_t keep = 4 * 1024;
  if (inflight_.capacity() > keep) std::string().swap(inflight_);
  if (out_.capacity() > keep) std::string().swap(out_);
}

}  // namespace closenotify::server
