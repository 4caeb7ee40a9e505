#include <boost/asio/connect.hpp>

#include "closenotify/close.hpp"
#include "modes.hpp"

namespace closenotify::bench {

asio::awaitable<tls_stream> open_connection(bench_env env) {
  tls_stream stream(env.ioc, env.tls);
  co_await stream.next_layer().async_connect({asio::ip::make_address(env.config.host), env.config.port},
                                             asio::use_awaitable);
  stream.next_layer().set_option(tcp::no_delay(true));
  co_await stream.async_handshake(ssl::stream_base::client, asio::use_awaitable);
  co_return stream;
}

asio::awaitable<bool> close_connection(tls_stream& stream) {
  // Half-close, then read to the server's close_notify: the server's echo of anything still
  // in flight is consumed, never cut off by an RST.
  if (co_await send_close_notify(stream)) co_return false;
  char sink[4096];
  for (;;) {
    auto [ec, n] = co_await stream.async_read_some(asio::buffer(sink), use_nothrow);
    if (ec) {
      error_code ignored;
      stream.next_layer().close(ignored);
      co_return ec == asio::error::eof;
    }
  }
}

}  // namespace closenotify::bench
