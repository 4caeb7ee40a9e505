#include "websocket_handler.hpp"

#include <exception>

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/field.hpp>
#include <boost/beast/websocket/error.hpp>
#include <boost/beast/websocket/stream.hpp>

#include "closenotify/wakeup.hpp"
#include "session_transport.hpp"
#include "websocket_upgrade.hpp"

namespace closenotify::server {

namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;

namespace {
// What we told the peer when Beast failed the connection (read.hpp: too_big for an oversized
// message, bad_payload for invalid UTF-8, protocol_error for the rest).
websocket::close_code code_sent_for(const error_code& ec) {
  if (ec == websocket::error::message_too_big) return websocket::close_code::too_big;
  if (ec == websocket::error::bad_frame_payload) return websocket::close_code::bad_payload;
  return websocket::close_code::protocol_error;
}

bool is_websocket_error(const error_code& ec) {
  return ec.category() == make_error_code(websocket::error::closed).category();
}

// Beast keeps a message's buffer; an idle connection should not keep a large one.
void release_if_large(beast::flat_buffer& buffer) {
  constexpr std::size_t keep = 16 * 1024;
  if (buffer.capacity() > keep) buffer.shrink_to_fit();
}
}  // namespace

struct websocket_handler::state {
  // permessage-deflate off: compression under TLS invites CRIME-like attacks, and costs memory.
  websocket::stream<session_transport, false> ws;
  http::request<http::string_body> request;
  websocket_service service;
  beast::flat_buffer message;
  wakeup ops_done;

  state(session_io& io, asio::io_context& context, websocket_upgrade&& upgrade)
      : ws(io, std::move(upgrade.received)),
        request(std::move(upgrade.request)),
        service(upgrade.service),
        ops_done(context) {}
};

websocket_handler::websocket_handler(session_io& io, const session_env& env, websocket_upgrade&& upgrade)
    : io_(io), env_(env), state_(std::make_unique<state>(io, env.context, std::move(upgrade))) {}

websocket_handler::~websocket_handler() = default;

asio::awaitable<void> websocket_handler::run() {
  // A throw must not leave this handler while a ping or our close still refers to it: the
  // failure cancels them, they end, then the exception goes on to the session.
  std::exception_ptr failed;
  try {
    co_await serve();
  } catch (...) {
    failed = std::current_exception();
    io_.fail("the WebSocket handler failed");
  }
  io_.clear_protocol_deadline();
  io_.end_of_reading();  // a stop that came before a read was pending says its goodbye here
  // Every operation on the stream must be over before it goes. Each is bounded: a ping or our
  // close waiting for the socket by the write timeout, our close's reading by the closing
  // handshake's deadline.
  while (under_way_ > 0) co_await state_->ops_done.wait();
  io_.closes_in_band(nullptr);
  if (failed) std::rethrow_exception(failed);
}

void websocket_handler::started() { ++under_way_; }

void websocket_handler::ended() {
  if (--under_way_ == 0) state_->ops_done.notify();
}

void websocket_handler::goodbye(close_reason why) {
  auto& ws = state_->ws;
  if (close_sent_ || !ws.is_open() || !io_.tls_usable()) return;
  close_sent_ = true;
  // RFC 6455 7.4.1: 1001, "going away": a server going down, or a peer gone quiet. A read
  // still pending receives the answer; otherwise the close reads it itself.
  const bool leaving = why == close_reason::server_shutdown || why == close_reason::idle_timeout;
  const websocket::close_reason frame{leaving ? websocket::close_code::going_away : websocket::close_code::internal_error,
                                      why == close_reason::server_shutdown ? "server shutting down"
                                      : why == close_reason::idle_timeout  ? "idle timeout"
                                                                           : "server error"};
  io_.closing_handshake();
  started();
  ws.async_close(frame, [this](error_code) { ended(); });
}

asio::awaitable<void> websocket_handler::serve() {
  auto& s = *state_;
  io_.set_protocol(protocol);
  io_.clear_protocol_deadline();  // HTTP's: from here the WebSocket's own deadlines
  // Beast's timeouts stay off (its default for a stream it does not own): the lifecycle
  // times every wait.
  s.ws.set_option(websocket::stream_base::decorator([](websocket::response_type& res) {
    res.set(http::field::server, "closenotify");
    // A refused upgrade (400, 426) ends the connection: say so, and the lingering close
    // lets the client read it before our FIN.
    if (res.result() != http::status::switching_protocols) res.keep_alive(false);
  }));
  s.ws.read_message_max(env_.limits.websocket.max_message);
  s.ws.auto_fragment(true);
  // A frame and its 4-byte header fill one TLS record (16 KiB): one record per frame.
  s.ws.write_buffer_bytes(tls_stream::max_record - 4);
  s.ws.control_callback([this](websocket::frame_type, beast::string_view) { heard_from_peer(); });

  const auto [accept_error] = co_await s.ws.async_accept(s.request, use_nothrow);
  s.request = {};
  if (accept_error) {
    // Beast answered a request it could not accept (400 or 426, Connection: close); a
    // transport error has its reason in the lifecycle already.
    if (is_websocket_error(accept_error))
      io_.stop(close_reason::protocol_error, "WebSocket upgrade refused: " + accept_error.message());
    co_return;
  }
  // Open: from here a stop sends our close frame while the read waits for the answer.
  io_.closes_in_band(this);
  heard_from_peer();
  std::string reply;
  while (io_.reading()) {
    const auto [ec, n] = co_await s.ws.async_read(s.message, use_nothrow);
    if (ec) {
      read_ended(ec);
      break;
    }
    heard_from_peer();
    error_code written;
    if (s.service == websocket_service::echo) {
      s.ws.text(s.ws.got_text());
      std::tie(written, std::ignore) = co_await s.ws.async_write(s.message.data(), use_nothrow);
    } else {
      reply = env_.stats.stats().to_json();
      s.ws.text(true);
      std::tie(written, std::ignore) = co_await s.ws.async_write(asio::buffer(reply), use_nothrow);
    }
    s.message.consume(s.message.size());
    release_if_large(s.message);
    if (written) break;  // the lifecycle has the reason (reset, write timeout, a stop's cancel)
  }
}

void websocket_handler::read_ended(const error_code& ec) {
  auto& ws = state_->ws;
  if (ec == websocket::error::closed && close_sent_) return;  // the peer answered ours
  if (ec == websocket::error::closed) {
    // Beast has answered the peer's close frame with its code: the TLS close comes next.
    const auto& said = ws.reason();
    std::string detail = "the peer closed the WebSocket with " + std::to_string(said.code);
    if (!said.reason.empty()) detail += " (" + std::string(said.reason.data(), said.reason.size()) + ")";
    io_.peer_finished(detail);
  } else if (is_websocket_error(ec)) {
    io_.stop(close_reason::protocol_error, "WebSocket: " + ec.message() + ", closed with " +
                                               std::to_string(static_cast<int>(code_sent_for(ec))));
  }
  // Otherwise the transport ended or failed, or we cancelled: the lifecycle has the reason.
}

void websocket_handler::heard_from_peer() { io_.protocol_alarm(env_.limits.websocket.ping_interval); }

void websocket_handler::alarm() {
  // A whole interval without a word from the peer: ask, and give it as long again.
  io_.protocol_deadline(env_.limits.websocket.ping_interval, "no answer to our ping within --ws-ping-interval");
  if (ping_under_way_) return;  // the last one still waits for the socket: one at a time (Beast)
  ping_under_way_ = true;
  started();
  state_->ws.async_ping({}, [this](error_code) {
    ping_under_way_ = false;
    ended();
  });
}

}  // namespace closenotify::server
