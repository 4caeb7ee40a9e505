// C workers, each: connect, full handshake (no resumption), clean close, again.
#include <fmt/format.h>

#include "latency_recorder.hpp"
#include "modes.hpp"

namespace closenotify::bench {

asio::awaitable<std::string> run_handshakes(bench_env env) {
  using clock = std::chrono::steady_clock;
  latency_recorder times;
  std::uint64_t failures = 0;
  const auto start = clock::now();
  const auto deadline = start + env.config.duration;
  auto worker = [&]() -> asio::awaitable<void> {
    while (clock::now() < deadline) {
      const auto t0 = clock::now();
      try {
        auto stream = co_await open_connection(env);
        times.add(clock::now() - t0);
        ++env.done;
        if (!co_await close_connection(env.ioc, stream)) ++failures;
      } catch (const boost::system::system_error&) {
        ++failures;
      }
    }
  };
  co_await run_concurrently(env.ioc, env.config.connections, [&](std::size_t) { return worker(); });
  const double seconds = std::chrono::duration<double>(clock::now() - start).count();
  co_return fmt::format("mode=handshake connections={} seconds={:.2f} handshakes={} failures={} handshakes_per_s={:.1f} "
                        "p50_ms={:.3f} p99_ms={:.3f}",
                        env.config.connections, seconds, times.count(), failures,
                        static_cast<double>(times.count()) / seconds, times.percentile_ms(0.50), times.percentile_ms(0.99));
}

}  // namespace closenotify::bench
