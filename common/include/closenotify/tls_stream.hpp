// A TLS stream over a TCP socket with OpenSSL reading and writing the socket itself, in place
// of asio::ssl::stream. asio::ssl::stream keeps two 17 KiB buffers of its own plus OpenSSL's
// BIO pair (2 x 17 KiB) for as long as the connection lives; this one holds no buffer while
// a connection is idle (SSL_MODE_RELEASE_BUFFERS gives OpenSSL's back too), which is what
// lets a server hold many idle connections (issue 5: 89 KiB -> 17.6 KiB per idle server
// connection, most of it OpenSSL's own state).
//
// How it waits: a small staging area in the stream receives the first bytes that arrive,
// through Asio's own read operation (no epoll_ctl per wait, unlike async_wait); OpenSSL then
// takes the staged bytes and reads the rest of what is there straight from the socket. The
// stream remembers when a read emptied the socket and lets the handlers already queued run
// before it reads again, so a request/response peer costs one recv and one send per message
// (asio::ssl::stream's next read, started at once, mostly meets EAGAIN).
//
// Same surface as asio::ssl::stream for what closenotify uses (async_handshake,
// async_read_some, async_write_some, async_shutdown, next_layer, native_handle), the same
// error codes (eof after the peer's close_notify, ssl::error::stream_truncated for a TCP end
// without one, the ssl category for TLS failures, system errors for resets), and the same
// rules: one read and one write may be in progress at once; a write cut short (cancelled or
// failed) leaves half a record behind, so nothing more may be written.
//
// The session uses the non-blocking pair read_some_now/async_wait_readable instead of
// async_read_some, so it owns no read buffer while it waits.
#pragma once

#include <cstddef>
#include <memory>

#include <boost/asio/compose.hpp>
#include <boost/asio/post.hpp>

#include "closenotify/asio.hpp"

struct ssl_st;

namespace closenotify {

class tls_stream {
 public:
  using executor_type = tcp::socket::executor_type;
  using next_layer_type = tcp::socket;
  using handshake_type = ssl::stream_base::handshake_type;

  tls_stream(tcp::socket socket, ssl::context& ctx);
  tls_stream(asio::io_context& ioc, ssl::context& ctx);
  tls_stream(tls_stream&&) noexcept;
  tls_stream& operator=(tls_stream&&) noexcept;
  ~tls_stream();

  executor_type get_executor() noexcept { return socket_.get_executor(); }
  tcp::socket& next_layer() noexcept { return socket_; }
  const tcp::socket& next_layer() const noexcept { return socket_; }
  ssl_st* native_handle() noexcept;

  // What an operation needs before it can go on.
  enum class want { nothing, input, output };

  // One attempt each, never blocking. On would_block, wait with the matching async_wait_*
  // and try again.
  std::size_t read_some_now(asio::mutable_buffer buffer, error_code& ec);
  std::size_t write_some_now(asio::const_buffer buffer, error_code& ec);
  // RFC 8446 6.1 half-close: our close_notify only; never reads, so a reader may be waiting.
  void send_close_notify_now(error_code& ec);

  // Completes when read_some_now can make progress (bytes staged or buffered in OpenSSL, the
  // end of the stream, or what a blocked read needs), without holding a caller's buffer.
  template <class Token>
  auto async_wait_readable(Token&& token) {
    return asio::async_compose<Token, void(error_code)>(wait_op(*this, true), token, socket_);
  }
  // Completes when the write_some_now or send_close_notify_now that said would_block can go on.
  template <class Token>
  auto async_wait_writable(Token&& token) {
    return asio::async_compose<Token, void(error_code)>(wait_op(*this, false), token, socket_);
  }

  template <class Token>
  auto async_handshake(handshake_type type, Token&& token) {
    return asio::async_compose<Token, void(error_code)>(handshake_op(*this, type), token, socket_);
  }
  template <class MutableBuffers, class Token>
  auto async_read_some(const MutableBuffers& buffers, Token&& token) {
    return asio::async_compose<Token, void(error_code, std::size_t)>(
        read_op(*this, first_buffer<asio::mutable_buffer>(buffers)), token, socket_);
  }
  // A sequence of small buffers (a WebSocket frame's header and payload) goes out as one
  // record: see one_record().
  template <class ConstBuffers, class Token>
  auto async_write_some(const ConstBuffers& buffers, Token&& token) {
    return asio::async_compose<Token, void(error_code, std::size_t)>(write_op<ConstBuffers>(*this, buffers), token,
                                                                     socket_);
  }
  template <class ConstBuffers>
  std::size_t write_some_now(const ConstBuffers& buffers, error_code& ec) {
    return write_some_now(one_record(buffers), ec);
  }

  // What one write sends of a buffer sequence: the first buffer when it fills a record by
  // itself or is alone; else the sequence's first record's worth, gathered into a scratch
  // area of this thread's. Valid until the next call on this thread, which is enough:
  // SSL_write copies it into a record at once, and a retry gathers the same bytes again.
  template <class ConstBuffers>
  static asio::const_buffer one_record(const ConstBuffers& buffers) {
    auto it = asio::buffer_sequence_begin(buffers);
    const auto end = asio::buffer_sequence_end(buffers);
    while (it != end && asio::const_buffer(*it).size() == 0) ++it;
    if (it == end) return {};
    const asio::const_buffer first(*it);
    auto next = std::next(it);
    while (next != end && asio::const_buffer(*next).size() == 0) ++next;
    if (first.size() >= max_record || next == end) return first;
    const asio::mutable_buffer scratch = record_scratch();
    return {scratch.data(), asio::buffer_copy(scratch, buffers)};
  }
  static constexpr std::size_t max_record = 16 * 1024;  // RFC 8446 5.1: a record's plaintext
  // Send close_notify (unless already sent) and wait for the peer's.
  template <class Token>
  auto async_shutdown(Token&& token) {
    return asio::async_compose<Token, void(error_code)>(shutdown_op(*this), token, socket_);
  }

 private:
  struct core;
  friend struct tls_stream_bio;

  struct step {
    want next = want::nothing;
    error_code ec;
    std::size_t bytes = 0;
  };
  step handshake_step();
  step read_step(asio::mutable_buffer buffer);
  step write_step(asio::const_buffer buffer);
  step shutdown_step();
  step readable_step() const;
  want blocked_on(bool reading) const noexcept;
  bool begin_ssl_call(error_code& ec) noexcept;
  step outcome(int ssl_result);
  void close_notify_sent() noexcept;

  asio::mutable_buffer stage_space() noexcept;
  void staged(const error_code& ec, std::size_t n) noexcept;
  void expect_input() noexcept;
  void release_buffers() noexcept;
  bool input_drained() const noexcept;

  static asio::mutable_buffer record_scratch() noexcept;

  // Like asio::ssl::stream: one record's worth at a time, from the first non-empty buffer.
  template <class Buffer, class Buffers>
  static Buffer first_buffer(const Buffers& buffers) {
    for (auto it = asio::buffer_sequence_begin(buffers); it != asio::buffer_sequence_end(buffers); ++it)
      if (Buffer b(*it); b.size() != 0) return b;
    return Buffer{};
  }

  // Runs one kind of step until it needs nothing more, waiting on the socket in between.
  // A step that finishes at once is completed through post(): a completion handler must not
  // run inside the function that started the operation.
  template <class Derived>
  struct op_base {
    explicit op_base(tls_stream& stream) : s(stream) {}
    tls_stream& s;
    enum class state { starting, deferred, waiting_input, waiting_readable, waiting_output, done } at = state::starting;
    step result;
    bool deferred_once = false;
    bool woke = false;  // a wait on the socket has completed

    template <class Self>
    void operator()(Self& self, error_code ec = {}, std::size_t n = 0) {
      auto& op = static_cast<Derived&>(*this);
      switch (at) {
        case state::done: return op.finish(self, result);
        case state::deferred: break;
        case state::waiting_input:
          woke = true;
          s.staged(ec, n);
          // eof is not an error here: the next step reports the end the way TLS sees it.
          if (ec && ec != asio::error::eof) return op.finish(self, step{want::nothing, ec, 0});
          break;
        case state::waiting_readable:
        case state::waiting_output:
          woke = true;
          if (ec) return op.finish(self, step{want::nothing, ec, 0});
          if (at == state::waiting_readable) s.expect_input();
          break;
        case state::starting: break;
      }
      const bool first = at == state::starting;
      for (;;) {
        result = op.attempt();
        if (result.next == want::nothing) break;
        if (self.get_cancellation_state().cancelled() != asio::cancellation_type::none) {
          result = step{want::nothing, asio::error::operation_aborted, 0};
          break;
        }
        if (result.next == want::input && op.stages_input()) {
          // The socket was empty a moment ago: let the handlers already queued run first
          // (a reply among them, say) so the read below finds the answer, not EAGAIN.
          if (!deferred_once && s.input_drained()) {
            deferred_once = true;
            at = state::deferred;
            return asio::post(s.socket_.get_executor(), std::move(self));
          }
          at = state::waiting_input;
          // Input is only wanted once OpenSSL has taken every staged byte: the stage is empty.
          s.release_buffers();
          return s.socket_.async_read_some(s.stage_space(), std::move(self));
        }
        // A write that needs input (renegotiation) must not take the reader's bytes: it only
        // waits until there are some, and the step after it reads them.
        if (result.next == want::input) {
          at = state::waiting_readable;
          return s.socket_.async_wait(tcp::socket::wait_read, std::move(self));
        }
        at = state::waiting_output;
        return s.socket_.async_wait(tcp::socket::wait_write, std::move(self));
      }
      if (!first) return op.finish(self, result);
      at = state::done;
      asio::post(s.socket_.get_executor(), std::move(self));
    }
  };

  struct wait_op : op_base<wait_op> {
    wait_op(tls_stream& stream, bool for_reading) : op_base(stream), reading(for_reading) {}
    bool reading;
    bool stages_input() const noexcept { return reading; }
    step attempt() {
      if (woke) return {};
      if (reading) return s.readable_step();
      return step{s.blocked_on(false), {}, 0};
    }
    template <class Self>
    void finish(Self& self, const step& r) { self.complete(r.ec); }
  };
  struct handshake_op : op_base<handshake_op> {
    static constexpr bool stages_input() noexcept { return true; }
    handshake_op(tls_stream& stream, handshake_type t) : op_base(stream), type(t) {}
    handshake_type type;
    bool begun = false;
    step attempt();
    template <class Self>
    void finish(Self& self, const step& r) { self.complete(r.ec); }
  };
  struct read_op : op_base<read_op> {
    static constexpr bool stages_input() noexcept { return true; }
    read_op(tls_stream& stream, asio::mutable_buffer b) : op_base(stream), buffer(b) {}
    asio::mutable_buffer buffer;
    step attempt() { return s.read_step(buffer); }
    template <class Self>
    void finish(Self& self, const step& r) { self.complete(r.ec, r.bytes); }
  };
  template <class ConstBuffers>
  struct write_op : op_base<write_op<ConstBuffers>> {
    static constexpr bool stages_input() noexcept { return false; }
    write_op(tls_stream& stream, const ConstBuffers& b) : op_base<write_op>(stream), buffers(b) {}
    ConstBuffers buffers;
    step attempt() { return this->s.write_step(one_record(buffers)); }
    template <class Self>
    void finish(Self& self, const step& r) { self.complete(r.ec, r.bytes); }
  };
  struct shutdown_op : op_base<shutdown_op> {
    using op_base::op_base;
    static constexpr bool stages_input() noexcept { return true; }
    step attempt() { return s.shutdown_step(); }
    template <class Self>
    void finish(Self& self, const step& r) { self.complete(r.ec); }
  };

  tcp::socket socket_;
  std::unique_ptr<core> core_;
};

}  // namespace closenotify
