#include "http_handler.hpp"

#include <chrono>
#include <ctime>
#include <optional>
#include <utility>
#include <vector>

#include <boost/beast/core/buffers_range.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/serializer.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/websocket/rfc6455.hpp>

#include "closenotify/metrics.hpp"
#include "session_set.hpp"
#include "status_page.hpp"
#include "websocket_handler.hpp"
#include "websocket_upgrade.hpp"

namespace closenotify::server {

namespace beast = boost::beast;
namespace http = beast::http;

namespace {
using clock = std::chrono::steady_clock;
constexpr std::string_view text_plain = "text/plain; charset=utf-8";

// RFC 9110 6.6.1: an origin server with a clock sends Date. Formatted once a second per thread.
struct date_stamp {
  std::time_t second;
  std::string_view text;
};
date_stamp http_date() {
  thread_local std::time_t formatted_at = 0;
  thread_local char text[64] = {};
  const std::time_t now = std::time(nullptr);
  if (now != formatted_at) {
    std::tm utc{};
    gmtime_r(&now, &utc);
    std::strftime(text, sizeof text, "%a, %d %b %Y %H:%M:%S GMT", &utc);
    formatted_at = now;
  }
  return {formatted_at, text};
}

enum class route : std::uint8_t { status_page, healthz, readyz, metrics, websocket, websocket_status, unknown };

route route_of(std::string_view target) {
  const std::string_view path = target.substr(0, target.find('?'));
  if (path == "/") return route::status_page;
  if (path == "/healthz") return route::healthz;
  if (path == "/readyz") return route::readyz;
  if (path == "/metrics") return route::metrics;
  if (path == "/ws") return route::websocket;
  if (path == "/ws/status") return route::websocket_status;
  return route::unknown;
}

// Every response's own header fields.
http::response<http::string_body> response(http::status status, unsigned version, bool keep_alive, std::string_view date) {
  http::response<http::string_body> res{status, version};
  res.set(http::field::server, "closenotify");
  res.set(http::field::date, date);
  res.set(http::field::content_type, text_plain);
  res.keep_alive(keep_alive);
  return res;
}

// What a request gets, short of upgrading: everything but /metrics' body depends only on
// these.
struct answer_to {
  route to;
  http::verb method;
  unsigned version;
  bool close;
  bool draining;

  std::uint32_t key() const {
    const std::uint32_t verb = method == http::verb::get ? 0 : method == http::verb::head ? 1 : 2;
    return static_cast<std::uint32_t>(to) | verb << 4 | (version & 0xff) << 8 | std::uint32_t{close} << 16 |
           std::uint32_t{draining} << 17;
  }
};

http::response<http::string_body> answer(const answer_to& a, std::string_view date) {
  auto res = response(http::status::ok, a.version, !a.close, date);
  res.set(http::field::cache_control, "no-store");
  const bool head = a.method == http::verb::head;
  const bool websocket = a.to == route::websocket || a.to == route::websocket_status;
  if (a.to == route::unknown) {
    res.result(http::status::not_found);
    res.body() = "not found\n";
  } else if (a.method != http::verb::get && !head) {
    res.result(http::status::method_not_allowed);
    res.set(http::field::allow, "GET, HEAD");
    res.body() = "method not allowed\n";
  } else if (websocket) {
    // RFC 9110 15.5.22: 426 names the protocol to upgrade to. In a drain, no new WebSocket.
    res.result(a.draining ? http::status::service_unavailable : http::status::upgrade_required);
    if (!a.draining) res.set(http::field::upgrade, "websocket");
    res.body() = a.draining ? "shutting down\n" : "a WebSocket endpoint: ask for an upgrade\n";
  } else if (a.to == route::status_page) {
    res.set(http::field::content_type, "text/html; charset=utf-8");
    res.body() = status_page_html;
  } else if (a.to == route::healthz) {
    res.body() = "ok\n";
  } else if (a.to == route::readyz) {
    // Not ready from the first moment of a drain: load balancers stop sending new clients.
    res.result(a.draining ? http::status::service_unavailable : http::status::ok);
    res.body() = a.draining ? "draining\n" : "ready\n";
  } else {
    res.set(http::field::content_type, prometheus_content_type);
  }
  return res;
}

// The response's bytes, serialized by Beast.
std::string serialize(http::response<http::string_body>& res, bool head) {
  res.prepare_payload();
  if (head) res.body().clear();  // Content-Length stays that of the GET
  http::serializer<false, http::string_body> serializer{res};
  std::string bytes;
  error_code ec;
  while (!ec && !serializer.is_done()) {
    serializer.next(ec, [&](error_code&, const auto& buffers) {
      for (const auto b : beast::buffers_range_ref(buffers)) bytes.append(static_cast<const char*>(b.data()), b.size());
      serializer.consume(beast::buffer_bytes(buffers));
    });
  }
  return bytes;
}

// The answers that depend only on `answer_to`, serialized once per thread and second (Date
// changes) and then copied: Beast's serializer costs more than all the rest of a /healthz
// request in our code.
class fixed_answers {
 public:
  const std::string& get(const answer_to& a) {
    const date_stamp date = http_date();
    if (date.second != second_) {
      entries_.clear();
      second_ = date.second;
    }
    const std::uint32_t key = a.key();
    for (const auto& [k, bytes] : entries_)
      if (k == key) return bytes;
    auto res = answer(a, date.text);
    return entries_.emplace_back(key, serialize(res, a.method == http::verb::head)).second;
  }

 private:
  std::time_t second_ = 0;
  std::vector<std::pair<std::uint32_t, std::string>> entries_;  // a few: routes x methods x versions
};
}  // namespace

struct http_handler::state {
  std::optional<http::request_parser<http::string_body>> parser;

  void next_request(const http_limits& limits) {
    parser.emplace();
    parser->header_limit(static_cast<std::uint32_t>(limits.max_header));
    parser->body_limit(limits.max_body);  // checked against Content-Length before the body
    parser->eager(true);
  }
};

http_handler::http_handler(session_io& io, const session_env& env, std::string first)
    : io_(io), env_(env), pending_(std::move(first)), request_started_(!pending_.empty()), state_(std::make_unique<state>()) {}

http_handler::~http_handler() = default;

asio::awaitable<void> http_handler::run() {
  const http_limits& limits = env_.limits.http;
  state_->next_request(limits);
  if (pending_.empty()) io_.protocol_deadline(limits.keepalive_timeout, "no request within --keepalive-timeout");
  while (io_.reading()) {
    if (!pending_.empty()) {
      if (!request_started_) {
        // From its first byte, not reset by each one: a trickled header is cut (slowloris).
        request_started_ = true;
        io_.protocol_deadline(limits.header_timeout, "request not complete within --header-timeout");
      }
      auto& parser = *state_->parser;
      error_code ec;
      std::size_t used = 0;
      while (!ec && !parser.is_done() && used < pending_.size()) {
        const std::size_t n = parser.put(asio::buffer(pending_.data() + used, pending_.size() - used), ec);
        used += n;
        if (n == 0) break;
      }
      pending_.erase(0, used);
      if (ec == http::error::need_more) ec = {};
      if (ec) {
        respond_error(ec);
        co_return;
      }
      if (parser.is_done()) {
        request_started_ = false;
        const outcome served = serve_request();
        if (served == outcome::upgrade) co_await become_websocket();
        if (served != outcome::next) co_return;
        state_->next_request(limits);
        continue;  // a pipelined request may be here already
      }
    }
    // Pipelined requests wait while their answers cannot go out.
    if (!io_.has_room() && !co_await io_.wait_for_room()) break;
    const auto [ec] = co_await io_.input_ready();
    const session_io::input in = io_.take_input(ec);
    pending_.append(in.bytes);
    if (in.ended) break;
  }
}

http_handler::outcome http_handler::serve_request() {
  const http_limits& limits = env_.limits.http;
  const auto& req = state_->parser->get();
  ++served_;
  const bool draining = env_.sessions.draining();
  // The last request a connection may make, or one in a drain, is answered with Connection: close.
  const bool close = !req.keep_alive() || served_ >= limits.max_requests || draining;
  const answer_to a{route_of(req.target()), req.method(), req.version(), close, draining};
  const bool websocket = a.to == route::websocket || a.to == route::websocket_status;
  if (websocket && a.method == http::verb::get && beast::websocket::is_upgrade(req) && !draining) {
    io_.clear_protocol_deadline();
    upgrade_service_ = a.to == route::websocket ? websocket_service::echo : websocket_service::status;
    return outcome::upgrade;
  }
  const bool head = a.method == http::verb::head;
  if (a.to == route::metrics && (a.method == http::verb::get || head)) {
    auto res = answer(a, http_date().text);
    res.body() = prometheus_text(env_.stats.stats(), draining);
    io_.append(serialize(res, head));
  } else {
    thread_local fixed_answers fixed;
    io_.append(fixed.get(a));
  }
  io_.flush();
  if (close) {
    io_.clear_protocol_deadline();
    io_.peer_finished();
    return outcome::close;
  }
  io_.protocol_deadline(limits.keepalive_timeout, "no request within --keepalive-timeout");
  return outcome::next;
}

asio::awaitable<void> http_handler::become_websocket() {
  websocket_upgrade upgrade{state_->parser->release(), std::move(pending_), upgrade_service_};
  co_await io_.writer_idle();  // the answers to requests before it go out first
  websocket_handler websocket(io_, env_, std::move(upgrade));
  co_await websocket.run();
}

void http_handler::respond_and_close(unsigned status, std::string_view body) {
  auto res = response(static_cast<http::status>(status), 11, false, http_date().text);
  res.body() = body;
  io_.append(serialize(res, false));
  io_.flush();
}

void http_handler::respond_error(const error_code& parse_error) {
  io_.clear_protocol_deadline();
  if (parse_error == http::error::header_limit) {
    respond_and_close(431, "request header too large\n");
    io_.stop(close_reason::protocol_error, "request header larger than --max-header-size");
  } else if (parse_error == http::error::body_limit) {
    respond_and_close(413, "request body too large\n");
    io_.stop(close_reason::protocol_error, "request body larger than --max-body-size");
  } else {
    respond_and_close(400, "bad request\n");
    io_.stop(close_reason::protocol_error, "bad HTTP request: " + parse_error.message());
  }
}

void http_handler::goodbye(close_reason why) {
  // Between requests there is nothing to answer: close_notify says it. A request under way
  // gets its answer, and Connection: close.
  if (!request_started_) return;
  if (why == close_reason::idle_timeout) respond_and_close(408, "request timeout\n");
  else respond_and_close(503, "shutting down\n");
}

}  // namespace closenotify::server
