// WebSocket over TLS (wss://HOST:PORT/ws, or --path), with Beast's websocket::stream over the same
// tls_stream client the other modes use:
// ws-echo: C connections, each sending one --message-size binary message and waiting for its
//          echo, again and again for --duration: messages/s and round-trip percentiles.
// ws-hold: C connections upgraded and then left idle for --duration (stderr says
//          established=N once all are up, as idle does), then closed: close frames, then TLS.
// Beast's templates are compiled here only; its non-template parts once, in beast_impl.cpp.
#include <cstdio>

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/websocket/stream.hpp>
#include <fmt/format.h>

#include "closenotify/deadline.hpp"
#include "closenotify/websocket_teardown.hpp"
#include "latency_recorder.hpp"
#include "modes.hpp"

namespace closenotify {

namespace bench {

namespace {
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using ws_stream = websocket::stream<tls_stream, false>;  // no permessage-deflate, as the server

// Neither the upgrade nor the close handshake may hold the run.
constexpr auto handshake_limit = std::chrono::seconds(10);

// Runs `op` with a bound: past `within`, the socket is closed and the operation fails.
template <class Op>
asio::awaitable<void> bounded(bench_env env, ws_stream& ws, std::chrono::steady_clock::duration within, Op op) {
  deadline limit(env.ioc.get_executor(), [&] {
    error_code ignored;
    ws.next_layer().next_layer().close(ignored);
  });
  limit.arm(std::chrono::steady_clock::now() + within);
  co_await op();
  limit.disarm();
}

asio::awaitable<std::unique_ptr<ws_stream>> open_websocket(bench_env env) {
  auto ws = std::make_unique<ws_stream>(co_await open_connection(env));
  // The load generator's own cost: masking keys need not be unpredictable here.
  ws->secure_prng(false);
  ws->binary(true);
  co_await bounded(env, *ws, handshake_limit, [&]() -> asio::awaitable<void> {
    co_await ws->async_handshake(env.config.host, env.config.ws_path, asio::use_awaitable);
  });
  co_return ws;
}

// Our close frame, the server's answer, then the TLS close. True: all of it went cleanly.
asio::awaitable<bool> close_websocket(bench_env env, ws_stream& ws) {
  error_code ec;
  co_await bounded(env, ws, handshake_limit, [&]() -> asio::awaitable<void> {
    std::tie(ec) = co_await ws.async_close(websocket::close_code::normal, use_nothrow);
  });
  if (ec) {
    error_code ignored;
    ws.next_layer().next_layer().close(ignored);
    co_return false;
  }
  co_return co_await close_connection(env.ioc, ws.next_layer());
}
}  // namespace

asio::awaitable<std::string> run_ws_echo(bench_env env) {
  using clock = std::chrono::steady_clock;
  latency_recorder rtts;
  std::uint64_t wrong = 0, clean_closes = 0;
  const auto start = clock::now();
  const auto end = start + env.config.duration;
  auto one = [&]() -> asio::awaitable<void> {
    auto ws = co_await open_websocket(env);
    std::string message(env.config.message_size, 'm');
    beast::flat_buffer echo;
    while (clock::now() < end) {
      const auto t0 = clock::now();
      co_await ws->async_write(asio::buffer(message), asio::use_awaitable);
      co_await ws->async_read(echo, asio::use_awaitable);
      rtts.add(clock::now() - t0);
      const asio::const_buffer got = echo.cdata();
      if (ws->got_text() || std::string_view(static_cast<const char*>(got.data()), got.size()) != message) ++wrong;
      echo.consume(echo.size());
      ++env.done;
    }
    if (co_await close_websocket(env, *ws)) ++clean_closes;
  };
  const std::uint64_t failed_connections =
      co_await run_concurrently(env.ioc, env.config.connections, [&](std::size_t) { return one(); });
  const double seconds = std::chrono::duration<double>(clock::now() - start).count();
  co_return fmt::format("mode=ws-echo connections={} failed_connections={} message_bytes={} seconds={:.2f} messages={} "
                        "wrong_echoes={} msgs_per_s={:.0f} p50_ms={:.3f} p99_ms={:.3f} p999_ms={:.3f} clean_closes={}",
                        env.config.connections, failed_connections, env.config.message_size, seconds, rtts.count(), wrong,
                        static_cast<double>(rtts.count()) / seconds, rtts.percentile_ms(0.50), rtts.percentile_ms(0.99),
                        rtts.percentile_ms(0.999), clean_closes);
}

asio::awaitable<std::string> run_ws_hold(bench_env env) {
  using clock = std::chrono::steady_clock;
  std::vector<std::unique_ptr<ws_stream>> held;
  std::uint64_t failed = 0;
  // Open in waves: a few hundred handshakes at once, not thousands.
  constexpr std::size_t wave = 200;
  for (std::size_t opened = 0; opened < env.config.connections;) {
    const std::size_t n = std::min(wave, env.config.connections - opened);
    failed += co_await run_concurrently(env.ioc, n, [&](std::size_t) -> asio::awaitable<void> {
      ++env.done;
      held.push_back(co_await open_websocket(env));
    });
    opened += n;
  }
  const std::size_t established = held.size();
  // An event for scripts (bench/compare-web samples the server's memory now); always printed.
  std::fprintf(stderr, "closenotify-bench: established=%zu\n", established);
  std::fflush(stderr);

  asio::steady_timer hold(env.ioc, env.config.duration);
  co_await hold.async_wait(use_nothrow);
  const auto closing = clock::now();
  std::uint64_t clean = 0;
  const std::uint64_t other =
      co_await run_concurrently(env.ioc, held.size(), [&](std::size_t i) -> asio::awaitable<void> {
        if (co_await close_websocket(env, *held[i])) ++clean;
        else throw std::runtime_error("unclean close");
      });
  const double seconds = std::chrono::duration<double>(clock::now() - closing).count();
  co_return fmt::format("mode=ws-hold connections={} established={} failed={} clean_closes={} other_endings={} "
                        "seconds_to_last_close={:.3f}",
                        env.config.connections, established, failed, clean, other, seconds);
}

}  // namespace bench
}  // namespace closenotify
