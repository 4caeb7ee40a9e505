// idle: hold N handshaken connections for a while, then close them cleanly.
// drain: hold N connections, send the server SIGTERM, and count how many end with the
// server's close_notify, and how long until the last one ended.
#include <signal.h>

#include <fmt/format.h>

#include "modes.hpp"

namespace closenotify::bench {

asio::awaitable<std::string> run_hold(bench_env env) {
  using clock = std::chrono::steady_clock;
  const bool drain = env.config.what == mode::drain;
  std::vector<std::unique_ptr<tls_stream>> held;
  std::uint64_t failed = 0;
  // Open in waves: a few hundred handshakes at once, not ten thousand.
  constexpr std::size_t wave = 200;
  for (std::size_t opened = 0; opened < env.config.connections;) {
    const std::size_t n = std::min(wave, env.config.connections - opened);
    failed += co_await run_concurrently(env.ioc, n, [&](std::size_t) -> asio::awaitable<void> {
      ++env.done;
      held.push_back(std::make_unique<tls_stream>(co_await open_connection(env)));
    });
    opened += n;
  }
  const std::size_t established = held.size();

  std::uint64_t close_notify = 0, other_endings = 0;
  auto ended_at_start = clock::now();
  const auto ended = [&](bool by_close_notify) { (by_close_notify ? close_notify : other_endings) += 1; };
  if (drain) {
    if (env.config.server_pid <= 0 || ::kill(env.config.server_pid, SIGTERM) != 0)
      co_return fmt::format("mode=drain error=cannot-signal-server-pid-{}", env.config.server_pid);
    other_endings += co_await run_concurrently(env.ioc, held.size(), [&](std::size_t i) -> asio::awaitable<void> {
      tls_stream& stream = *held[i];
      char sink[4096];
      for (;;) {
        auto [ec, n] = co_await stream.async_read_some(asio::buffer(sink), use_nothrow);
        if (!ec) continue;
        ended(ec == asio::error::eof);
        if (ec == asio::error::eof) co_await stream.async_shutdown(use_nothrow);  // answer it
        co_return;
      }
    });
  } else {
    asio::steady_timer hold(env.ioc, env.config.duration);
    co_await hold.async_wait(use_nothrow);
    ended_at_start = clock::now();  // the close phase only
    other_endings += co_await run_concurrently(env.ioc, held.size(), [&](std::size_t i) -> asio::awaitable<void> {
      ended(co_await close_connection(*held[i]));
    });
  }
  const double seconds = std::chrono::duration<double>(clock::now() - ended_at_start).count();
  co_return fmt::format("mode={} connections={} established={} failed={} close_notify={} other_endings={} "
                        "seconds_to_last_close={:.3f}",
                        drain ? "drain" : "idle", env.config.connections, established, failed, close_notify,
                        other_endings, seconds);
}

}  // namespace closenotify::bench
