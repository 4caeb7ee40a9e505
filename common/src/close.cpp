#include "closenotify/close.hpp"

#include <array>
#include <memory>

#include <boost/asio/bind_cancellation_slot.hpp>

#include "closenotify/tls_context.hpp"

namespace closenotify {

namespace {
// Cancels the operation bound to slot() when the timer expires. Awaitable operators' `||`
// would spawn two coroutines per race; a drain of 10 000 connections felt that. The timer's
// handler shares the state, so it may run after the caller has moved on: by then the
// deadline is disarmed, because the cancellation handler an operation leaves in the slot
// points into its socket, which may be gone (TSan caught exactly that: the timer expired
// just as the read finished).
class deadline {
 public:
  deadline(asio::steady_timer& timer, std::chrono::milliseconds limit) : state_(std::make_shared<state>()) {
    timer.expires_after(limit);
    timer.async_wait([s = state_](const error_code& ec) {
      if (ec || s->disarmed) return;
      s->expired = true;
      s->signal.emit(asio::cancellation_type::terminal);
    });
  }
  deadline(const deadline&) = delete;
  deadline& operator=(const deadline&) = delete;
  ~deadline() {
    state_->disarmed = true;
    state_->signal.slot().clear();
  }

  asio::cancellation_slot slot() { return state_->signal.slot(); }
  bool expired() const noexcept { return state_->expired; }

 private:
  struct state {
    asio::cancellation_signal signal;
    bool expired = false;
    bool disarmed = false;
  };
  std::shared_ptr<state> state_;
};

struct shutdown_outcome {
  std::optional<close_reason> reason;
  bool linger = true;
  std::string detail;
};

asio::awaitable<shutdown_outcome> bounded_tls_shutdown(tls_stream& stream, asio::steady_timer& timer,
                                                       std::chrono::milliseconds limit) {
  deadline limit_reached(timer, limit);
  const auto [ec] = co_await stream.async_shutdown(asio::bind_cancellation_slot(limit_reached.slot(), use_nothrow));
  timer.cancel();
  if (ec == asio::error::operation_aborted && limit_reached.expired())
    co_return shutdown_outcome{close_reason::shutdown_timeout, true, "no close_notify from the peer"};
  // Both close_notify alerts have passed: the peer sends nothing after its own, so no unread
  // input can turn our close() into RST, and our last bytes leave ahead of the FIN. Lingering
  // would only hold the descriptor until the peer's FIN (a drain of idle peers waited for it).
  if (!ec || ec == asio::error::eof) co_return shutdown_outcome{close_reason::clean, false, {}};
  if (ec == ssl::error::stream_truncated) co_return shutdown_outcome{close_reason::peer_truncated, true, {}};
  // The peer was still sending when our close_notify left: legal until it reads ours
  // (RFC 8446 6.1). OpenSSL gives up on the TLS layer; the TCP drain below collects the rest.
  if (is_application_data_after_close_notify(ec))
    co_return shutdown_outcome{close_reason::clean, true, "peer data after our close_notify discarded"};
  if (is_reset(ec)) co_return shutdown_outcome{close_reason::peer_reset, false, {}};
  co_return shutdown_outcome{classify_io_error(ec), true, describe_tls_error(ec)};
}

asio::awaitable<void> lingering_drain(tcp::socket& socket, asio::steady_timer& timer, std::chrono::milliseconds limit) {
  error_code ignored;
  socket.shutdown(tcp::socket::shutdown_send, ignored);
  deadline limit_reached(timer, limit);
  std::array<char, 4096> sink;
  for (;;) {
    // FIN (eof), reset, or the deadline's cancellation: nothing more to wait for.
    const auto [ec, n] = co_await socket.async_read_some(asio::buffer(sink), asio::bind_cancellation_slot(limit_reached.slot(), use_nothrow));
    if (ec) break;
  }
  timer.cancel();
}
}  // namespace

asio::awaitable<close_result> graceful_close(tls_stream& stream, close_request request, close_timeouts timeouts) {
  auto& socket = stream.next_layer();
  asio::steady_timer timer(stream.get_executor());
  close_result result;
  bool linger = request.linger;

  if (request.reason == close_reason::peer_reset) {
    request.tls_alive = false;  // the peer is gone: nothing to say, nothing to drain
    linger = false;
  }
  std::optional<close_reason> outcome;
  if (request.tls_alive && socket.is_open()) {
    auto shutdown = co_await bounded_tls_shutdown(stream, timer, timeouts.shutdown);
    outcome = shutdown.reason;
    linger = linger && shutdown.linger;
    result.detail = std::move(shutdown.detail);
  }
  if (linger && socket.is_open()) co_await lingering_drain(socket, timer, timeouts.linger);

  error_code ignored;
  socket.close(ignored);
  result.reason = request.reason.value_or(outcome.value_or(close_reason::error));
  co_return result;
}

asio::awaitable<error_code> send_close_notify(tls_stream& stream, asio::cancellation_slot slot) {
  for (;;) {
    error_code ec;
    stream.send_close_notify_now(ec);
    if (ec != asio::error::would_block) co_return ec;
    const auto [waited] = co_await stream.async_wait_writable(asio::bind_cancellation_slot(slot, use_nothrow));
    if (waited) co_return waited;
  }
}

}  // namespace closenotify
