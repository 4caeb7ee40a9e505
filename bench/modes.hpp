// The benchmark modes. Each returns its final machine-readable line (key=value ...).
#pragma once

#include <functional>
#include <string>

#include "bench_config.hpp"
#include "closenotify/asio.hpp"
#include "closenotify/tls_stream.hpp"

namespace closenotify::bench {

struct bench_env {
  asio::io_context& ioc;
  ssl::context& tls;
  const bench_config& config;
  std::uint64_t& done;  // operations finished so far, for the progress line
};

asio::awaitable<std::string> run_handshakes(bench_env env);
asio::awaitable<std::string> run_bulk(bench_env env);
asio::awaitable<std::string> run_latency(bench_env env);
asio::awaitable<std::string> run_hold(bench_env env);  // idle and drain
asio::awaitable<std::string> run_ws_echo(bench_env env);
asio::awaitable<std::string> run_ws_hold(bench_env env);

// Runs make(0) ... make(n - 1) at once and waits for all; returns how many failed (threw).
asio::awaitable<std::uint64_t> run_concurrently(asio::io_context& ioc, std::size_t n,
                                                const std::function<asio::awaitable<void>(std::size_t)>& make);

// Shared by the modes: a TLS connection to the target, and a clean close of it.
asio::awaitable<tls_stream> open_connection(bench_env env);
asio::awaitable<bool> close_connection(asio::io_context& ioc, tls_stream& stream);  // true: close_notify both ways

}  // namespace closenotify::bench
