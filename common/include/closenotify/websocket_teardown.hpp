// Beast's websocket::stream over a closenotify tls_stream ends its close handshake by calling
// teardown on its next layer, found by argument-dependent lookup. Ours does nothing: after
// the close frames, the owner's close path sends close_notify and awaits the peer's, bounded.
// Beast's own SSL teardown would wait for the peer's close_notify first, and close the
// socket bare on its timeouts.
#pragma once

#include <boost/asio/append.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/core/role.hpp>

#include "closenotify/tls_stream.hpp"

namespace closenotify {

template <class Handler>
void async_teardown(boost::beast::role_type, tls_stream& stream, Handler&& handler) {
  asio::post(stream.get_executor(), asio::append(std::forward<Handler>(handler), error_code{}));
}
inline void teardown(boost::beast::role_type, tls_stream&, error_code& ec) { ec = {}; }

}  // namespace closenotify
