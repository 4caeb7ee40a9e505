#include "closenotify/close.hpp"

#include <algorithm>
#include <array>

#include <boost/asio/write.hpp>
#include <openssl/err.h>
#include <openssl/ssl.h>

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
  SSL* ssl = stream.native_handle();
  if (SSL_get_shutdown(ssl) & SSL_SENT_SHUTDOWN) co_return error_code{};
  BIO* engine_bio = SSL_get_wbio(ssl);  // Asio's BIO pair; also the read BIO
  // Records the engine produced but Asio has not flushed yet must leave first; none are
  // left when no write is in progress, as the caller promises.
  if (BIO_ctrl_wpending(engine_bio) != 0) co_return error_code(asio::error::try_again);

  // SSL_shutdown writes the alert into a BIO of ours, which we then send ourselves: the
  // reader's pending read on the socket is untouched. Reference counts: Asio's engine set
  // one BIO as both rbio and wbio with a single reference, so swapping the wbio must leave
  // exactly that reference in place.
  BIO* capture = BIO_new(BIO_s_mem());
  if (capture == nullptr) co_return error_code(asio::error::no_memory);
  BIO_up_ref(engine_bio);
  BIO_up_ref(capture);
  SSL_set0_wbio(ssl, capture);
  const int shut = SSL_shutdown(ssl);
  SSL_set0_wbio(ssl, engine_bio);
  char* data = nullptr;
  const long len = BIO_get_mem_data(capture, &data);
  std::string alert(data, static_cast<std::size_t>(std::max(len, 0L)));
  BIO_free(capture);
  if (shut < 0 || alert.empty()) {
    ERR_clear_error();
    co_return error_code(asio::error::shut_down);
  }
  const auto [ec, n] = co_await asio::async_write(stream.next_layer(), asio::buffer(alert), use_nothrow);
  co_return ec;
}

}  // namespace closenotify
