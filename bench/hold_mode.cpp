// idle: hold N handshaken connections for a while, then close them cleanly.
// drain: hold N connections, send the server SIGTERM, and count how many end with the
// server's close_notify, and how long until the last one ended.
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdio>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <fmt/format.h>

#include "closenotify/deadline.hpp"
#include "modes.hpp"

namespace closenotify::bench {

namespace {
// A pidfd turns readable when the process ends (even one we are not the parent of):
// an event to await, not a poll. Returns false if it did not end within the limit.
asio::awaitable<bool> wait_for_exit(asio::io_context& ioc, int pidfd, std::chrono::milliseconds within) {
  asio::posix::stream_descriptor process(ioc, pidfd);  // owns and closes the pidfd
  asio::cancellation_signal give_up;
  deadline limit(ioc.get_executor(), [&] { give_up.emit(asio::cancellation_type::terminal); });
  limit.arm(std::chrono::steady_clock::now() + within);
  const auto [ec] = co_await process.async_wait(asio::posix::descriptor_base::wait_read,
                                                asio::bind_cancellation_slot(give_up.slot(), use_nothrow));
  co_return !ec;
}
}  // namespace

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
  // An event for scripts (bench/compare samples the server's memory now); always printed.
  std::fprintf(stderr, "closenotify-bench: established=%zu\n", established);
  std::fflush(stderr);

  std::uint64_t close_notify = 0, other_endings = 0, still_open = 0;
  auto ended_at_start = clock::now();
  const auto ended = [&](bool by_close_notify) { (by_close_notify ? close_notify : other_endings) += 1; };
  double seconds_to_exit = -1;
  int pidfd = -1;
  if (drain) {
    pidfd = static_cast<int>(::syscall(SYS_pidfd_open, env.config.server_pid, 0));
    if (pidfd < 0 || ::kill(env.config.server_pid, SIGTERM) != 0) {
      if (pidfd >= 0) ::close(pidfd);
      co_return fmt::format("mode=drain error=cannot-signal-server-pid-{}", env.config.server_pid);
    }
    // A server that does not end its connections within --duration (socat's forked children
    // outlive their parent's SIGTERM, for one) gets them closed here and counted as still_open.
    bool gave_up = false;
    deadline drain_limit(env.ioc.get_executor(), [&] {
      gave_up = true;
      error_code ignored;
      for (auto& stream : held) stream->next_layer().close(ignored);
    });
    drain_limit.arm(clock::now() + env.config.duration);
    other_endings += co_await run_concurrently(env.ioc, held.size(), [&](std::size_t i) -> asio::awaitable<void> {
      tls_stream& stream = *held[i];
      char sink[4096];
      for (;;) {
        auto [ec, n] = co_await stream.async_read_some(asio::buffer(sink), use_nothrow);
        if (!ec) continue;
        if (gave_up) ++still_open;
        else ended(ec == asio::error::eof);
        // Answer it. Bounded: drain_limit closes the socket if this hangs.
        if (ec == asio::error::eof) co_await stream.async_shutdown(use_nothrow);
        co_return;
      }
    });
    drain_limit.disarm();
  } else {
    asio::steady_timer hold(env.ioc, env.config.duration);
    co_await hold.async_wait(use_nothrow);
    ended_at_start = clock::now();  // the close phase only
    other_endings += co_await run_concurrently(env.ioc, held.size(), [&](std::size_t i) -> asio::awaitable<void> {
      ended(co_await close_connection(env.ioc, *held[i]));
    });
  }
  const double seconds = std::chrono::duration<double>(clock::now() - ended_at_start).count();
  std::string line = fmt::format("mode={} connections={} established={} failed={} close_notify={} other_endings={} "
                                 "seconds_to_last_close={:.3f}",
                                 drain ? "drain" : "idle", env.config.connections, established, failed, close_notify,
                                 other_endings, seconds);
  if (drain) {
    // -1: the server was still running --duration after its last connection ended.
    if (co_await wait_for_exit(env.ioc, pidfd, env.config.duration))
      seconds_to_exit = std::chrono::duration<double>(clock::now() - ended_at_start).count();
    line += fmt::format(" still_open={} seconds_to_server_exit={:.3f}", still_open, seconds_to_exit);
  }
  co_return line;
}

}  // namespace closenotify::bench
