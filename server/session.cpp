#include "session.hpp"

#include <variant>

#include <openssl/ssl.h>

#include "closenotify/close.hpp"
#include "closenotify/log.hpp"
#include "closenotify/protocol_sniffer.hpp"
#include "closenotify/tls_context.hpp"
#include "http_handler.hpp"
#include "line_protocol.hpp"
#include "raw_echo.hpp"
#include "session_set.hpp"

namespace closenotify::server {

namespace {
using clock = std::chrono::steady_clock;

std::string describe_current_exception() {
  try {
    throw;
  } catch (const std::exception& e) {
    return e.what();
  } catch (...) {
    return "an exception that is not a std::exception";
  }
}

std::string peer_name(const tcp::socket& socket) {
  error_code ec;
  const auto ep = socket.remote_endpoint(ec);
  if (ec) return "unknown";
  const auto addr = ep.address();
  return (addr.is_v6() ? "[" + addr.to_string() + "]" : addr.to_string()) + ":" + std::to_string(ep.port());
}
}  // namespace

asio::awaitable<void> run_session(tcp::socket socket, const session_env& env, connection_slots::slot slot, std::uint64_t id) {
  try {
    session s(std::move(socket), env, std::move(slot), id);
    co_await s.run();
  } catch (...) {
    // Thrown by the close path itself; the connection_record has closed it with reason 'error'.
    const std::string what = describe_current_exception();
    log_event(log_level::error, "session_exception", {{"id", id}, {"what", std::string_view(what)}});
  }
}

session::session(tcp::socket socket, const session_env& env, connection_slots::slot slot, std::uint64_t id)
    : id_(id),
      env_(env),
      slot_(std::move(slot)),
      lifecycle_(lifecycle_role::server, env.limits.deadlines, clock::now()),
      record_(env.counts, id, peer_name(socket)),
      io_(std::move(socket), env, lifecycle_, record_) {
  env_.sessions.add(*this);
  // Accepted just as the drain began: the drain's sweep may have missed this session.
  if (env_.sessions.draining()) stop(close_reason::server_shutdown);
}

session::~session() { env_.sessions.remove(*this); }

void session::stop(close_reason reason) { io_.stop(reason, {}); }

void session::abort() { io_.apply(lifecycle_.abort(clock::now())); }

asio::awaitable<void> session::run() {
  io_.arm_deadline();  // the handshake's
  try {
    co_await serve();
  } catch (...) {
    // A bug or a resource failure: logged, and the connection still ends through the close path.
    const std::string what = describe_current_exception();
    log_event(log_level::error, "session_exception", {{"id", id_}, {"what", std::string_view(what)}});
    io_.apply(lifecycle_.fail(clock::now(), what));
    io_.end_of_reading();
  }
  co_await io_.writer_idle();
  co_await graceful_close(io_.stream(), lifecycle_, io_.timer(), io_.read_cancel());
  record_.close(lifecycle_.reason().value_or(close_reason::error), lifecycle_.detail());
}

asio::awaitable<void> session::serve() {
  lifecycle_.read_started();
  const auto [ec] = co_await io_.stream().async_handshake(
      ssl::stream_base::server, asio::bind_cancellation_slot(io_.read_cancel().slot(), use_nothrow));
  if (ec) {
    io_.apply(lifecycle_.handshake_failed(clock::now(), ec));
    io_.end_of_reading();
    co_return;
  }
  io_.apply(lifecycle_.handshake_done(clock::now()));
  SSL* ssl = io_.stream().native_handle();
  record_.tls_established(SSL_get_version(ssl), SSL_CIPHER_get_name(SSL_get_current_cipher(ssl)));
  // ALPN chooses; without it, the first bytes do (an HTTP request line, or raw echo). A stop
  // during the handshake leaves reading over at once: the handler only says its goodbye.
  const std::string_view alpn = selected_alpn(io_.stream());
  std::variant<raw_echo, line_protocol, http_handler> handler{std::in_place_type<raw_echo>, io_, std::string{}};
  if (alpn == alpn_line_protocol) {
    handler.emplace<line_protocol>(io_, env_.limits.max_line, env_.stats);
  } else if (alpn == alpn_http) {
    handler.emplace<http_handler>(io_, env_, std::string{});
  } else if (alpn.empty()) {
    std::string first;
    if (co_await sniff(first) == sniffed_protocol::http) handler.emplace<http_handler>(io_, env_, std::move(first));
    else handler.emplace<raw_echo>(io_, std::move(first));
  }
  record_.set_protocol(std::visit([](const auto& h) { return h.protocol; }, handler));
  co_await std::visit([](auto& h) { return h.run(); }, handler);
  if (const auto why = io_.end_of_reading()) std::visit([&](auto& h) { h.goodbye(*why); }, handler);
}

asio::awaitable<sniffed_protocol> session::sniff(std::string& first) {
  sniffed_protocol verdict = sniffed_protocol::need_more;
  while (verdict == sniffed_protocol::need_more && io_.reading()) {
    const auto [ec] = co_await io_.input_ready();
    const session_io::input in = io_.take_input(ec);
    first.append(in.bytes);
    verdict = sniff_protocol(first, env_.limits.http.max_header);
    if (in.ended) break;
    // Bytes that begin like a request line: the rest of it must come within --header-timeout.
    if (verdict == sniffed_protocol::need_more && !first.empty() && first.size() == in.bytes.size())
      io_.protocol_deadline(env_.limits.http.header_timeout, "request not complete within --header-timeout");
  }
  io_.clear_protocol_deadline();
  // A request line that never ended is a slow request: HTTP answers it (408).
  co_return verdict == sniffed_protocol::need_more && !first.empty() ? sniffed_protocol::http : verdict;
}

}  // namespace closenotify::server
