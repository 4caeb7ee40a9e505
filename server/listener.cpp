#include <algorithm>
#include <chrono>

#include "closenotify/log.hpp"
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

void worker::open(const tcp::endpoint& endpoint) {
  error_code ec;
  acceptor_.open(endpoint.protocol(), ec);
  if (!ec) acceptor_.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) {
    // Each worker has its own accept queue on the same port; the kernel spreads connections.
    const int one = 1;
    if (::setsockopt(acceptor_.native_handle(), SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0)
      ec.assign(errno, asio::error::get_system_category());
  }
  if (!ec) acceptor_.bind(endpoint, ec);
  if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) throw std::runtime_error("cannot listen on " + endpoint.address().to_string() + ":" +
                                   std::to_string(endpoint.port()) + ": " + ec.message());
}

asio::awaitable<void> worker::listen() {
  using namespace std::chrono_literals;
  asio::steady_timer backoff_timer(ioc_);
  auto backoff = 10ms;
  bool told_limit = false;
  while (!draining_) {
    auto slot = slots_.try_take();
    if (!slot) {
      if (!told_limit) log_event(log_level::warn, "connection_limit", {{"max_connections", std::uint64_t{slots_.limit()}}});
      told_limit = true;
      slot_freed_.expires_at(std::chrono::steady_clock::time_point::max());
      co_await slot_freed_.async_wait(use_nothrow);
      continue;
    }
    told_limit = false;
    auto [ec, socket] = co_await acceptor_.async_accept(use_nothrow);
    if (ec) {
      if (draining_ || ec == asio::error::operation_aborted) break;
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
    const std::uint64_t id = connection_ids_.fetch_add(1, std::memory_order_relaxed) + 1;
    asio::co_spawn(ioc_, run_session(std::move(socket), env_, std::move(*slot), id), asio::detached);
  }
}

}  // namespace closenotify::server
