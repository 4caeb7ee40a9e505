#include "closenotify/close.hpp"

#include <array>

#include <boost/asio/bind_cancellation_slot.hpp>

namespace closenotify {

namespace {
using clock = std::chrono::steady_clock;

// Its own coroutine: the sink lives only while a connection lingers, not in every close.
asio::awaitable<void> lingering_drain(tcp::socket& socket, asio::cancellation_slot slot) {
  error_code ignored;
  socket.shutdown(tcp::socket::shutdown_send, ignored);
  std::array<char, 4096> sink;
  for (;;) {
    // FIN (eof), reset, or the deadline's cancellation: nothing more to wait for.
    const auto [ec, n] = co_await socket.async_read_some(asio::buffer(sink), asio::bind_cancellation_slot(slot, use_nothrow));
    if (ec) co_return;
  }
}
}  // namespace

asio::awaitable<void> graceful_close(tls_stream& stream, connection_lifecycle& lifecycle, deadline& timer,
                                     asio::cancellation_signal& cancel) {
  auto& socket = stream.next_layer();
  for (close_step step = lifecycle.begin_close(clock::now()); step != close_step::done;) {
    timer.arm(lifecycle.next_wakeup(clock::now()));
    switch (step) {
      case close_step::tls_shutdown: {
        const auto [ec] = co_await stream.async_shutdown(asio::bind_cancellation_slot(cancel.slot(), use_nothrow));
        step = lifecycle.shutdown_ended(clock::now(), ec);
        break;
      }
      case close_step::linger:
        co_await lingering_drain(socket, cancel.slot());
        step = lifecycle.linger_ended(clock::now());
        break;
      case close_step::close_socket: {
        error_code ignored;
        socket.close(ignored);
        step = lifecycle.socket_closed(clock::now());
        break;
      }
      case close_step::done: break;
    }
  }
  timer.disarm();
  // The operations bound to it are over; nothing may emit into their handlers any more.
  cancel.slot().clear();
}

asio::awaitable<error_code> send_close_notify(tls_stream& stream, asio::cancellation_slot slot) {
  for (;;) {
    error_code ec;
    stream.send_close_notify_now(ec);
    if (ec != asio::error::would_block) co_return ec;
    const auto [waited] = co_await stream.async_wait_writable(asio::bind_cancellation_slot(slot, use_nothrow));
    if (waited) co_return waited;
  }
}

}  // namespace closenotify
