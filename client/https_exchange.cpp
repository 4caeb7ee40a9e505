#include "https_exchange.hpp"

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <fmt/format.h>

namespace closenotify::cli {

namespace beast = boost::beast;
namespace http = beast::http;

namespace {
using clock = std::chrono::steady_clock;

bool is_http_error(const error_code& ec) { return ec.category() == make_error_code(http::error::end_of_stream).category(); }
}  // namespace

asio::awaitable<void> https_exchange::run() {
  const bool sent = co_await send_request();
  if (sent) co_await read_response();
}

asio::awaitable<bool> https_exchange::send_request() {
  const https_config& hc = env_.config.https;
  http::request<http::string_body> req{hc.has_data ? http::verb::post : http::verb::get, hc.target, 11};
  req.set(http::field::host, hc.host);
  req.set(http::field::user_agent, "closenotify-cli");
  req.set(http::field::accept, "*/*");
  for (const auto& [name, value] : hc.headers) req.set(name, value);
  if (hc.has_data) {
    if (req[http::field::content_type].empty()) req.set(http::field::content_type, "application/octet-stream");
    req.body() = hc.data;
    req.prepare_payload();
  }
  env_.lifecycle.write_waits(clock::now());
  const auto [ec, n] =
      co_await http::async_write(env_.stream, req, asio::bind_cancellation_slot(env_.write_cancel.slot(), use_nothrow));
  env_.apply(env_.lifecycle.write_ended(clock::now(), ec, n));
  co_return !ec;
}

asio::awaitable<void> https_exchange::read_response() {
  const https_config& hc = env_.config.https;
  // RFC 9110 15.2: a 1xx is followed by the real answer; Beast's parser takes one message.
  beast::flat_buffer buffer;
  http::response_parser<http::buffer_body> parser;
  parser.header_limit(64 * 1024);
  parser.body_limit(boost::none);  // the user asked for this body, whatever its size
  char chunk[64 * 1024];
  // The answer's header must come within --connect-timeout; its body is timed by
  // --idle-timeout, as any transfer.
  env_.apply(env_.lifecycle.protocol_deadline(clock::now(), env_.config.connect_timeout,
                                              "no response within --connect-timeout"));
  bool header_seen = false;
  for (;;) {
    parser.get().body().data = chunk;
    parser.get().body().size = sizeof chunk;
    env_.lifecycle.read_started();
    const auto [ec, n] = co_await http::async_read_some(env_.stream, buffer, parser,
                                                        asio::bind_cancellation_slot(env_.read_cancel.slot(), use_nothrow));
    env_.lifecycle.read_resumed();
    if (parser.is_header_done() && !header_seen) {
      header_seen = true;
      env_.lifecycle.clear_protocol_deadline();
      const auto& res = parser.get();
      outcome_.status = res.result_int();
      outcome_.reason = std::string(res.reason());
      env_.term.status(fmt::format("HTTP {} {}", outcome_.status, outcome_.reason));
      if (hc.include) {
        std::string head = fmt::format("HTTP/{}.{} {} {}\r\n", res.version() / 10, res.version() % 10, outcome_.status,
                                       outcome_.reason);
        for (const auto& field : res) head += fmt::format("{}: {}\r\n", std::string_view(field.name_string()), std::string_view(field.value()));
        head += "\r\n";
        env_.out.write(head);
      }
    }
    const std::size_t got = sizeof chunk - parser.get().body().size;
    if (got > 0) {
      env_.lifecycle.input(clock::now());
      outcome_.body_bytes += got;
      if (!env_.out.closed() && !env_.out.write(std::string_view(chunk, got))) {
        env_.apply(env_.lifecycle.output_closed(clock::now()));
        break;
      }
    }
    if (ec == http::error::need_buffer) continue;  // the chunk is full: out it went
    if (parser.is_done()) {
      outcome_.complete = true;
      // The answer is whole: nothing more is owed to us, so a server that closes TCP without
      // its close_notify (nginx does, on a keep-alive connection after ours) cuts nothing.
      // TLS closes: our close_notify, or the answer to the server's after Connection: close.
      env_.lifecycle.bye_seen();
      env_.lifecycle.peer_finished(fmt::format("HTTP {} {}, {} body bytes", outcome_.status, outcome_.reason, outcome_.body_bytes));
      break;
    }
    if (!ec) continue;
    if (ec == http::error::end_of_stream || ec == http::error::partial_message) {
      // TLS ended (close_notify) before the whole answer: the transport's end was clean,
      // the answer is not (https_exit: 7).
      env_.apply(env_.lifecycle.read_ended(clock::now(), asio::error::eof));
    } else if (is_http_error(ec)) {
      outcome_.bad_response = true;
      env_.lifecycle.peer_finished("the server's answer is not HTTP/1.1: " + ec.message());
    } else {
      env_.apply(env_.lifecycle.read_ended(clock::now(), ec));
    }
    break;
  }
}

}  // namespace closenotify::cli
