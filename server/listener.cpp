#include <algorithm>
#include <chrono>

#include "closenotify/log.hpp"
#include "server.hpp"
#include "session.hpp"
#include "worker.hpp"

namespace closenotify::server {

namespace {
// Out of descriptors or kernel memory: the pending connection stays queued and epoll keeps
// reporting it, so retrying at once would spin. Back off instead and keep serving the rest.
bool is_resource_exhaustion(const error_code& ec) {
  return ec == asio::error::no_descriptors || ec.value() == ENFILE || ec == asio::error::no_buffer_space ||
         ec == asio::error::no_memory;
}
}  // namespace

asio::awaitable<void> listen(worker& w) {
  using namespace std::chrono_literals;
  asio::steady_timer backoff_timer(w.ioc);
  auto backoff = 10ms;
  bool told_limit = false;
  while (!w.draining) {
    if (!w.owner.try_take_slot()) {
      if (!told_limit) log_event(log_level::warn, "connection_limit", {{"max_connections", std::uint64_t{w.config.max_connections}}});
      told_limit = true;
      w.slot_freed.expires_at(std::chrono::steady_clock::time_point::max());
      co_await w.slot_freed.async_wait(use_nothrow);
      continue;
    }
    told_limit = false;
    auto [ec, socket] = co_await w.acceptor.async_accept(use_nothrow);
    if (ec) {
      w.owner.release_slot();
      if (w.draining || ec == asio::error::operation_aborted) break;
      if (is_resource_exhaustion(ec)) {
        log_event(log_level::warn, "accept_backoff", {{"error", std::string_view(ec.message())},
                                                      {"retry_ms", static_cast<std::uint64_t>(backoff.count())}});
        backoff_timer.expires_after(backoff);
        co_await backoff_timer.async_wait(use_nothrow);
        backoff = std::min(backoff * 2, std::chrono::milliseconds(1000));
      } else {
        log_event(log_level::debug, "accept_error", {{"error", std::string_view(ec.message())}});
      }
      continue;
    }
    backoff = 10ms;
    asio::co_spawn(w.ioc, run_session(std::move(socket), w, w.owner.next_connection_id()), asio::detached);
  }
}

}  // namespace closenotify::server
