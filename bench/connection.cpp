#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/connect.hpp>

#include "closenotify/close.hpp"
#include "closenotify/deadline.hpp"
#include "modes.hpp"

namespace closenotify::bench {

namespace {
// A server that never answers our close_notify must not hold the run.
constexpr auto close_limit = std::chrono::seconds(10);
}  // namespace

asio::awaitable<tls_stream> open_connection(bench_env env) {
  tls_stream stream(env.ioc, env.tls);
  co_await stream.next_layer().async_connect({asio::ip::make_address(env.config.host), env.config.port},
                                             asio::use_awaitable);
  stream.next_layer().set_option(tcp::no_delay(true));
  co_await stream.async_handshake(ssl::stream_base::client, asio::use_awaitable);
  co_return stream;
}

asio::awaitable<bool> close_connection(asio::io_context& ioc, tls_stream& stream) {
  // Half-close, then read to the server's close_notify: the server's echo of anything still
  // in flight is consumed, never cut off by an RST.
  asio::cancellation_signal give_up;
  deadline limit(ioc.get_executor(), [&] { give_up.emit(asio::cancellation_type::terminal); });
  limit.arm(std::chrono::steady_clock::now() + close_limit);
  error_code ec = co_await send_close_notify(stream, give_up.slot());
  char sink[4096];
  while (!ec) {
    std::size_t n = 0;
    std::tie(ec, n) = co_await stream.async_read_some(asio::buffer(sink), asio::bind_cancellation_slot(give_up.slot(), use_nothrow));
  }
  limit.disarm();
  give_up.slot().clear();
  error_code ignored;
  stream.next_layer().close(ignored);
  co_return ec == asio::error::eof;
}

}  // namespace closenotify::bench
