#include "closenotify/close.hpp"

#include <array>

#include <boost/asio/experimental/awaitable_operators.hpp>

#include "closenotify/tls_context.hpp"

namespace closenotify {

using namespace asio::experimental::awaitable_operators;

namespace {
struct shutdown_outcome {
  std::optional<close_reason> reason;
  bool linger = true;
  std::string detail;
};

asio::awaitable<shutdown_outcome> bounded_tls_shutdown(tls_stream& stream, asio::steady_timer& timer,
                                                       std::chrono::milliseconds limit) {
  timer.expires_after(limit);
  auto result = co_await (stream.async_shutdown(use_nothrow) || timer.async_wait(use_nothrow));
  if (result.index() == 1) co_return shutdown_outcome{close_reason::shutdown_timeout, true, "no close_notify from the peer"};

  const auto [ec] = std::get<0>(result);
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
  timer.expires_after(limit);
  std::array<char, 4096> sink;
  for (;;) {
    auto result = co_await (socket.async_read_some(asio::buffer(sink), use_nothrow) || timer.async_wait(use_nothrow));
    if (result.index() == 1) co_return;           // linger deadline
    if (std::get<0>(std::get<0>(result))) co_return;  // FIN (eof) or reset: nothing more will come
  }
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

asio::awaitable<error_code> send_close_notify(tls_stream& stream) {
  for (;;) {
    error_code ec;
    stream.send_close_notify_now(ec);
    if (ec != asio::error::would_block) co_return ec;
    const auto [waited] = co_await stream.async_wait_writable(use_nothrow);
    if (waited) co_return waited;
  }
}

}  // namespace closenotify
