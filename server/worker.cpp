#include "worker.hpp"

#include "session.hpp"

namespace closenotify::server {

worker::worker(ssl::context& tls, const server_config& config, connection_slots& slots, const stats_source& stats,
               std::atomic<std::uint64_t>& connection_ids)
    : tls_(tls),
      config_(config),
      slots_(slots),
      stats_(stats),
      connection_ids_(connection_ids),
      env_{ioc_, config_.session, tls_, counts_, read_scratch_, stats_, sessions_} {}

void worker::run() {
  asio::co_spawn(ioc_, listen(), asio::detached);
  ioc_.run();
}

void worker::begin_drain() {
  asio::post(ioc_, [this] {
    draining_ = true;
    error_code ignored;
    acceptor_.close(ignored);
    slot_freed_.cancel();
    sessions_.stop_all(close_reason::server_shutdown);
  });
}

void worker::force_drain() {
  asio::post(ioc_, [this] { sessions_.abort_all(); });
}

void worker::slot_freed() {
  asio::post(ioc_, [this] { slot_freed_.cancel(); });
}

}  // namespace closenotify::server
