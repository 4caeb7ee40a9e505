// The next layer under Beast's websocket::stream: the session's TLS, read and written through
// session_io, so every byte is counted and every wait is timed by the session's lifecycle
// (Beast's own timeouts stay off). Its teardown does nothing: after the close frames, the
// session's close path sends close_notify with our FIN and drains, as for every protocol.
// Beast's SSL teardown would send close_notify only after the peer's, and close bare on a
// timeout.
#pragma once

#include <string>

#include <boost/asio/append.hpp>
#include <boost/asio/compose.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/core/role.hpp>

#include "session_io.hpp"

namespace closenotify::server {

class session_transport {
 public:
  using executor_type = tls_stream::executor_type;

  // `received`: bytes read with the upgrade request that belong to the WebSocket.
  session_transport(session_io& io, std::string received) : io_(&io), received_(std::move(received)) {}

  executor_type get_executor() noexcept { return io_->stream().get_executor(); }

  template <class MutableBuffers, class Token>
  auto async_read_some(const MutableBuffers& buffers, Token&& token) {
    return asio::async_compose<Token, void(error_code, std::size_t)>(read_op<MutableBuffers>(*this, buffers), token,
                                                                     io_->stream().next_layer());
  }
  template <class ConstBuffers, class Token>
  auto async_write_some(const ConstBuffers& buffers, Token&& token) {
    return asio::async_compose<Token, void(error_code, std::size_t)>(write_op<ConstBuffers>(*this, buffers), token,
                                                                     io_->stream().next_layer());
  }

 private:
  // Beast's dirty shutdown (its own timeouts, or a cancelled close: neither is used here).
  // No close_notify can follow what Beast gave up on.
  friend void beast_close_socket(session_transport& t) { t.io_->fail("the WebSocket layer gave up on the connection"); }

  // A composed operation must not complete inside its initiating call: an answer known at
  // once is posted first.
  enum class at : std::uint8_t { start, answer, waiting };

  template <class MutableBuffers>
  struct read_op {
    read_op(session_transport& transport, const MutableBuffers& b) : t(transport), buffers(b) {}
    session_transport& t;
    MutableBuffers buffers;
    at state = at::start;
    std::size_t n = 0;
    error_code result;

    template <class Self>
    void operator()(Self& self, error_code ec = {}) {
      switch (state) {
        case at::start:
          if (!t.received_.empty()) {
            n = asio::buffer_copy(buffers, asio::buffer(t.received_));
            t.received_.erase(0, n);
            state = at::answer;
            return asio::post(t.get_executor(), std::move(self));
          }
          state = at::waiting;
          return t.io_->wait_readable(std::move(self));
        case at::answer: return self.complete(result, n);
        case at::waiting:
          n = t.io_->read_now(first(buffers), ec);
          if (ec == asio::error::would_block) return t.io_->wait_readable(std::move(self));
          return self.complete(ec, n);
      }
    }
  };

  template <class ConstBuffers>
  struct write_op {
    write_op(session_transport& transport, const ConstBuffers& b) : t(transport), buffers(b) {}
    session_transport& t;
    ConstBuffers buffers;
    at state = at::start;
    std::size_t n = 0;
    error_code result;

    template <class Self>
    void operator()(Self& self, error_code ec = {}) {
      switch (state) {
        case at::start:
          n = t.io_->write_now(buffers, result);
          if (result == asio::error::would_block) {
            state = at::waiting;
            return t.io_->wait_writable(std::move(self));
          }
          state = at::answer;
          return asio::post(t.get_executor(), std::move(self));
        case at::answer: return self.complete(result, n);
        case at::waiting:
          t.io_->write_resumed(ec);
          if (ec) return self.complete(ec, 0);
          n = t.io_->write_now(buffers, ec);
          if (ec == asio::error::would_block) return t.io_->wait_writable(std::move(self));
          return self.complete(ec, n);
      }
    }
  };

  template <class MutableBuffers>
  static asio::mutable_buffer first(const MutableBuffers& buffers) {
    for (auto it = asio::buffer_sequence_begin(buffers); it != asio::buffer_sequence_end(buffers); ++it)
      if (asio::mutable_buffer b(*it); b.size() != 0) return b;
    return {};
  }

  session_io* io_;
  std::string received_;
};

// Found by Beast through argument-dependent lookup, in place of its own teardown.
template <class Handler>
void async_teardown(boost::beast::role_type, session_transport& transport, Handler&& handler) {
  asio::post(transport.get_executor(), asio::append(std::forward<Handler>(handler), error_code{}));
}
inline void teardown(boost::beast::role_type, session_transport&, error_code& ec) { ec = {}; }

}  // namespace closenotify::server
