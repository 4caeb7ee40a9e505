// One thread's share of the server: its own io_context (so a session needs no strand and
// no lock), its acceptor on the shared SO_REUSEPORT port, its sessions and counters.
#pragma once

#include <array>
#include <unordered_set>

#include "closenotify/asio.hpp"
#include "closenotify/counters.hpp"
#include "server_config.hpp"

namespace closenotify::server {

class session;
class server;

struct worker {
  worker(server& owner_server, ssl::context& tls_context, const server_config& cfg)
      : owner(owner_server), tls(tls_context), config(cfg) {}

  server& owner;
  ssl::context& tls;
  const server_config& config;
  asio::io_context ioc{1};  // run by exactly one thread
  tcp::acceptor acceptor{ioc};
  asio::steady_timer slot_freed{ioc};  // the listener waits here while at --max-connections
  counters counts;
  std::unordered_set<session*> sessions;
  bool draining = false;
  // Every session of this thread reads into it, once its stream has something to read.
  std::array<char, 16 * 1024> read_scratch;
};

}  // namespace closenotify::server
