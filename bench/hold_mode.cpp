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
    std::size_t running = n;
    asio::steady_timer wave_done(env.ioc, clock::time_point::max());
    for (std::size_t i = 0; i < n; ++i)
      asio::co_spawn(
          env.ioc,
          [&]() -> asio::awaitable<void> { held.push_back(std::make_unique<tls_stream>(co_await open_connection(env))); },
          [&](std::exception_ptr e) {
        if (e) ++failed;
        ++env.done;
        if (--running == 0) wave_done.cancel();
      });
    co_await wave_done.async_wait(use_nothrow);
    opened += n;
  }
  const std::size_t established = held.size();

  std::uint64_t close_notify = 0, other_endings = 0;
  auto ended_at_start = clock::now();
  std::size_t running = held.size();
  asio::steady_timer all_done(env.ioc, clock::time_point::max());
  if (drain) {
    if (env.config.server_pid <= 0 || ::kill(env.config.server_pid, SIGTERM) != 0)
      co_return fmt::format("mode=drain error=cannot-signal-server-pid-{}", env.config.server_pid);
    for (auto& s : held)
      asio::co_spawn(
          env.ioc,
          [&, stream = s.get()]() -> asio::awaitable<void> {
            char sink[4096];
            for (;;) {
              auto [ec, n] = co_await stream->async_read_some(asio::buffer(sink), use_nothrow);
              if (!ec) continue;
              (ec == asio::error::eof ? close_notify : other_endings) += 1;
              if (ec == asio::error::eof) co_await stream->async_shutdown(use_nothrow);  // answer it
              break;
            }
          },
          [&](std::exception_ptr) {
            if (--running == 0) all_done.cancel();
          });
  } else {
    asio::steady_timer hold(env.ioc, env.config.duration);
    co_await hold.async_wait(use_nothrow);
    ended_at_start = clock::now();  // the close phase only
    for (auto& s : held)
      asio::co_spawn(env.ioc, close_connection(*s), [&](std::exception_ptr e, bool clean) {
        (!e && clean ? close_notify : other_endings) += 1;
        if (--running == 0) all_done.cancel();
      });
  }
  if (running > 0) co_await all_done.async_wait(use_nothrow);
  const double seconds = std::chrono::duration<double>(clock::now() - ended_at_start).count();
  co_return fmt::format("mode={} connections={} established={} failed={} close_notify={} other_endings={} "
                        "seconds_to_last_close={:.3f}",
                        drain ? "drain" : "idle", env.config.connections, established, failed, close_notify,
                        other_endings, seconds);
}

}  // namespace closenotify::bench
