// C connections, each a ping-pong of fixed-size messages through the echo: rps and
// round-trip percentiles.
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <fmt/format.h>

#include "latency_recorder.hpp"
#include "modes.hpp"

namespace closenotify::bench {

asio::awaitable<std::string> run_latency(bench_env env) {
  using clock = std::chrono::steady_clock;
  latency_recorder rtts;
  std::uint64_t wrong = 0;
  const auto start = clock::now();
  const auto deadline = start + env.config.duration;
  auto one = [&]() -> asio::awaitable<void> {
    auto stream = co_await open_connection(env);
    std::string message(env.config.message_size, 'm'), echo(env.config.message_size, '\0');
    message.back() = '\n';
    while (clock::now() < deadline) {
      const auto t0 = clock::now();
      co_await asio::async_write(stream, asio::buffer(message), asio::use_awaitable);
      co_await asio::async_read(stream, asio::buffer(echo), asio::use_awaitable);
      rtts.add(clock::now() - t0);
      if (echo != message) ++wrong;
      ++env.done;
    }
    co_await close_connection(env.ioc, stream);
  };
  const std::uint64_t failed_connections = co_await run_concurrently(env.ioc, env.config.connections, [&](std::size_t) { return one(); });
  const double seconds = std::chrono::duration<double>(clock::now() - start).count();
  co_return fmt::format("mode=latency connections={} failed_connections={} message_bytes={} seconds={:.2f} requests={} wrong_echoes={} "
                        "rps={:.0f} p50_ms={:.3f} p99_ms={:.3f} p999_ms={:.3f}",
                        env.config.connections, failed_connections, env.config.message_size, seconds, rtts.count(), wrong,
                        static_cast<double>(rtts.count()) / seconds, rtts.percentile_ms(0.50), rtts.percentile_ms(0.99),
                        rtts.percentile_ms(0.999));
}

}  // namespace closenotify::bench
