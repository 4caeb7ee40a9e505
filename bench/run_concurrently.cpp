#include "modes.hpp"

namespace closenotify::bench {

asio::awaitable<std::uint64_t> run_concurrently(asio::io_context& ioc, std::size_t n,
                                                const std::function<asio::awaitable<void>(std::size_t)>& make) {
  std::uint64_t failed = 0;
  std::size_t running = n;
  asio::steady_timer all_done(ioc, std::chrono::steady_clock::time_point::max());  // an event, never expires
  for (std::size_t i = 0; i < n; ++i)
    asio::co_spawn(ioc, make(i), [&](std::exception_ptr e) {
      if (e) ++failed;
      if (--running == 0) all_done.cancel();
    });
  if (running > 0) co_await all_done.async_wait(use_nothrow);
  co_return failed;
}

}  // namespace closenotify::bench
