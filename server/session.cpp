#include "session.hpp"

#include <variant>

#include "closenotify/close.hpp"
#include "closenotify/log.hpp"
#include "closenotify/tls_context.hpp"
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
  } catch (const std::exception& e) {
    // The session's connection_record has already closed it with reason 'error'.
    log_event(log_level::error, "session_exception", {{"id", id}, {"what", std::string_view(e.what())}});
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
  }
  io_.end_of_reading();
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
    co_return;
  }
  io_.apply(lifecycle_.handshake_done(clock::now()));
  const bool line_mode = selected_alpn(io_.stream()) == alpn_line_protocol;
  record_.set_protocol(line_mode ? "line" : "raw");
  // A stop during the handshake leaves reading over at once: the handler says its goodbye.
  std::variant<raw_echo, line_protocol> handler{std::in_place_type<raw_echo>, io_};
  if (line_mode) handler.emplace<line_protocol>(io_, env_.limits.max_line, env_.stats);
  co_await std::visit([](auto& h) { return h.run(); }, handler);
  if (const auto why = io_.end_of_reading()) std::visit([&](auto& h) { h.goodbye(*why); }, handler);
}

}  // namespace closenotify::server
