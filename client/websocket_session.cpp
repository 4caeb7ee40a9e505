#include "websocket_session.hpp"

#include <cstring>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/field.hpp>
#include <boost/beast/websocket/error.hpp>
#include <boost/beast/websocket/stream.hpp>
#include <fmt/format.h>

#include "closenotify/wakeup.hpp"
#include "closenotify/websocket_teardown.hpp"

namespace closenotify::cli {

namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using namespace asio::experimental::awaitable_operators;

namespace {
using clock = std::chrono::steady_clock;

bool is_websocket_error(const error_code& ec) {
  return ec.category() == make_error_code(websocket::error::closed).category();
}

std::string describe_close(std::uint16_t code, std::string_view reason) {
  return reason.empty() ? std::to_string(code) : fmt::format("{} ({})", code, reason);
}
}  // namespace

struct websocket_session::state {
  // No permessage-deflate: compression under TLS invites CRIME-like attacks.
  websocket::stream<tls_stream&, false> ws;
  beast::flat_buffer message;
  wakeup close_done;

  explicit state(tls_stream& stream)
      : ws(stream), close_done(*stream.get_executor().target<asio::io_context::executor_type>()) {}
};

websocket_session::websocket_session(protocol_env env)
    : env_(std::move(env)), state_(std::make_unique<state>(env_.stream)) {}

websocket_session::~websocket_session() = default;

asio::awaitable<void> websocket_session::run() {
  const bool open = co_await upgrade();
  if (open) co_await (reader() && writer());
  // Our close (if it went) ends with the read that received the answer, or failed with it.
  while (close_under_way_) co_await state_->close_done.wait();
}

asio::awaitable<bool> websocket_session::upgrade() {
  auto& ws = state_->ws;
  const websocket_config& wc = env_.config.websocket;
  ws.set_option(websocket::stream_base::decorator([&wc](websocket::request_type& req) {
    req.set(http::field::user_agent, "closenotify-cli");
    if (!wc.origin.empty()) req.set(http::field::origin, wc.origin);
    if (!wc.subprotocol.empty()) req.set(http::field::sec_websocket_protocol, wc.subprotocol);
    for (const auto& [name, value] : wc.headers) req.set(name, value);
  }));
  ws.read_message_max(0);  // what the server sends is the user's to receive, whatever its size
  ws.auto_fragment(false);
  ws.control_callback([this](websocket::frame_type kind, beast::string_view) {
    // Pings are answered by Beast; any frame is a sign of life for --idle-timeout.
    if (kind != websocket::frame_type::close) env_.lifecycle.input(clock::now());
  });

  env_.apply(env_.lifecycle.protocol_deadline(clock::now(), env_.config.connect_timeout,
                                              "no answer to the WebSocket upgrade within --connect-timeout"));
  websocket::response_type response;
  env_.lifecycle.read_started();
  const auto [ec] = co_await ws.async_handshake(response, wc.host, wc.target,
                                                asio::bind_cancellation_slot(env_.read_cancel.slot(), use_nothrow));
  env_.lifecycle.read_resumed();
  env_.lifecycle.clear_protocol_deadline();
  if (!ec) {
    outcome_.upgrade_status = response.result_int();
    // From here a quit, the end of input or a closed stdout sends our close frame.
    env_.lifecycle.closes_in_band();
    env_.lifecycle.input(clock::now());
    const auto protocol = response[http::field::sec_websocket_protocol];
    env_.term.status(fmt::format("WebSocket open: wss://{}{}{}", wc.host, wc.target,
                                 protocol.empty() ? "" : fmt::format(" (subprotocol {})", std::string_view(protocol))));
    if (env_.term.interactive()) {
      env_.term.status("each line is a text message; /quit, Ctrl-D or Ctrl-C sends close 1000");
      env_.term.prompt();
    }
    co_return true;
  }
  if (ec == websocket::error::upgrade_declined) {
    // An HTTP answer, not 101: the server said no, and TLS closes as usual.
    outcome_.upgrade_status = response.result_int();
    outcome_.upgrade_reason = std::string(response.reason());
    env_.lifecycle.peer_finished(
        fmt::format("the server refused the WebSocket upgrade: HTTP {} {}", outcome_.upgrade_status, outcome_.upgrade_reason));
    env_.apply(lifecycle_actions::stop_input);
  } else if (ec == http::error::end_of_stream || ec == http::error::partial_message) {
    // TLS ended before a whole answer came: how it ended is the transport's to say.
    env_.apply(env_.lifecycle.read_ended(clock::now(), asio::error::eof));
  } else if (is_websocket_error(ec) || ec.category() == make_error_code(http::error::end_of_stream).category()) {
    // A 101 without what RFC 6455 4.2.2 requires, or no HTTP at all.
    outcome_.protocol_violation = true;
    env_.lifecycle.peer_finished("the server's answer to the WebSocket upgrade is wrong: " + ec.message());
    env_.apply(lifecycle_actions::stop_input);
  } else {
    env_.apply(env_.lifecycle.read_ended(clock::now(), ec));
  }
  co_return false;
}

asio::awaitable<void> websocket_session::reader() {
  auto& s = *state_;
  for (;;) {
    env_.lifecycle.read_started();
    const auto [ec, n] = co_await s.ws.async_read(s.message, asio::bind_cancellation_slot(env_.read_cancel.slot(), use_nothrow));
    env_.lifecycle.read_resumed();
    if (!ec) {
      ++outcome_.messages_received;
      outcome_.payload_bytes_received += s.message.size();
      env_.lifecycle.input(clock::now());
      const auto data = s.message.cdata();
      deliver(std::string_view(static_cast<const char*>(data.data()), data.size()), s.ws.got_text());
      s.message.consume(s.message.size());
      continue;
    }
    // Beast lets our close receive the answer, and the pending read ends aborted: the close's
    // outcome says how it went.
    if (ec == asio::error::operation_aborted && close_sent_) {
      while (close_under_way_) co_await s.close_done.wait();
    }
    const bool closed = ec == websocket::error::closed || (ec == asio::error::operation_aborted && close_answered_);
    if (closed) {
      // Beast has answered the server's close frame (or received its answer to ours).
      const auto& said = s.ws.reason();
      outcome_.close_code = static_cast<std::uint16_t>(said.code);
      outcome_.close_reason = std::string(said.reason.data(), said.reason.size());
      outcome_.we_closed_first = close_sent_;
      env_.lifecycle.peer_finished(fmt::format("the server {} the WebSocket with {}", close_sent_ ? "answered our close frame" : "closed",
                                               describe_close(*outcome_.close_code, outcome_.close_reason)));
      env_.apply(lifecycle_actions(lifecycle_actions::stop_input) | lifecycle_actions::wake_writer);
    } else if (is_websocket_error(ec)) {
      // Beast has sent its close frame (1002, 1007, 1009): the server broke the protocol.
      outcome_.protocol_violation = true;
      env_.lifecycle.peer_finished("the server broke the WebSocket protocol: " + ec.message());
      env_.apply(lifecycle_actions(lifecycle_actions::stop_input) | lifecycle_actions::wake_writer);
    } else {
      env_.apply(env_.lifecycle.read_ended(clock::now(), ec));
    }
    break;
  }
}

void websocket_session::deliver(std::string_view payload, bool text) {
  env_.term.received(payload);
  if (env_.out.closed()) return;
  bool ok = env_.out.write(payload);
  if (ok && text && !env_.config.websocket.binary) ok = env_.out.write("\n");  // a message per line
  if (!ok) env_.apply(env_.lifecycle.output_closed(clock::now()));
}

asio::awaitable<void> websocket_session::writer() {
  const websocket_config& wc = env_.config.websocket;
  std::string pending;  // a line, or a chunk, not yet whole
  for (;;) {
    stdin_source::chunk in = co_await env_.input.next();
    if (in.stopped) co_return;  // a quit, the server's close, or stdout closed
    if (in.error != 0) {
      terminal::complain(std::string("reading standard input: ") + std::strerror(in.error));
      env_.apply(env_.lifecycle.local_quit(clock::now()));
      co_return;
    }
    if (!in.eof) pending += in.data;
    if (wc.binary) {
      std::size_t at = 0;
      // Whole chunks, and at the end of input the rest.
      while (pending.size() - at >= wc.chunk || (in.eof && at < pending.size())) {
        const std::string_view message = std::string_view(pending).substr(at, wc.chunk);
        const bool sent = co_await send(message, true);
        if (!sent) co_return;
        at += message.size();
      }
      pending.erase(0, at);
    } else {
      std::size_t at = 0;
      for (std::size_t end; (end = pending.find('\n', at)) != std::string::npos; at = end + 1) {
        std::string_view line = std::string_view(pending).substr(at, end - at);
        if (line.ends_with('\r')) line.remove_suffix(1);
        if (env_.term.interactive() && line == "/quit") {
          env_.apply(env_.lifecycle.local_quit(clock::now()));
          co_return;
        }
        const bool sent = co_await send(line, false);
        if (!sent) co_return;
      }
      pending.erase(0, at);
      if (in.eof && !pending.empty()) {
        const bool sent = co_await send(pending, false);  // the last line, without its newline
        if (!sent) co_return;
      }
    }
    if (in.eof) {
      // Everything sent: close 1000, and the server's messages still on their way come
      // before its close frame.
      env_.apply(env_.lifecycle.input_ended(clock::now()));
      co_return;
    }
  }
}

asio::awaitable<bool> websocket_session::send(std::string_view message, bool binary) {
  if (!env_.lifecycle.sending_wanted()) co_return false;  // read just before a quit or the server's close
  auto& ws = state_->ws;
  ws.binary(binary);
  env_.term.sent();
  env_.lifecycle.write_waits(clock::now());
  const auto [ec, n] =
      co_await ws.async_write(asio::buffer(message), asio::bind_cancellation_slot(env_.write_cancel.slot(), use_nothrow));
  if (is_websocket_error(ec)) {
    // The WebSocket closed under the write (the server's close frame): the reader says how.
    env_.lifecycle.write_resumed();
    co_return false;
  }
  env_.apply(env_.lifecycle.write_ended(clock::now(), ec, ec ? 0 : message.size()));
  if (ec) co_return false;
  ++outcome_.messages_sent;
  outcome_.payload_bytes_sent += message.size();
  co_return true;
}

void websocket_session::goodbye() {
  auto& ws = state_->ws;
  if (close_sent_ || !ws.is_open() || !env_.lifecycle.tls_usable()) return;
  close_sent_ = true;
  close_under_way_ = true;
  // RFC 6455 7.4.1: 1000, the purpose is fulfilled. The pending read receives the answer.
  env_.apply(env_.lifecycle.closing_handshake(clock::now()));
  ws.async_close(websocket::close_code::normal, [this](error_code ec) {
    close_answered_ = !ec;
    close_under_way_ = false;
    state_->close_done.notify();
  });
}

}  // namespace closenotify::cli
