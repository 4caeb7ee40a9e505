// C connections, each sending B bytes and reading the echo at the same time, every byte
// compared; the figure is MB/s one way.
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/write.hpp>
#include <fmt/format.h>

#include "closenotify/bulk_data.hpp"
#include "modes.hpp"

namespace closenotify::bench {

using namespace asio::experimental::awaitable_operators;

asio::awaitable<std::string> run_bulk(bench_env env) {
  using clock = std::chrono::steady_clock;
  const std::uint64_t bytes = env.config.bytes;
  std::uint64_t mismatches = 0, received_total = 0;
  auto one = [&]() -> asio::awaitable<void> {
    auto stream = co_await open_connection(env);
    auto writer = [&]() -> asio::awaitable<void> {
      std::string chunk(64 * 1024, '\0');
      for (std::uint64_t sent = 0; sent < bytes;) {
        const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(chunk.size(), bytes - sent));
        fill_bulk_data(sent, std::span<char>(chunk.data(), n));
        co_await asio::async_write(stream, asio::buffer(chunk.data(), n), asio::use_awaitable);
        sent += n;
      }
    };
    auto reader = [&]() -> asio::awaitable<void> {
      std::string buf(64 * 1024, '\0'), expected(64 * 1024, '\0');
      for (std::uint64_t got = 0; got < bytes;) {
        const std::size_t n = co_await stream.async_read_some(asio::buffer(buf), asio::use_awaitable);
        fill_bulk_data(got, std::span<char>(expected.data(), n));
        if (std::memcmp(buf.data(), expected.data(), n) != 0) ++mismatches;
        got += n;
        received_total += n;
        env.done += n;
      }
    };
    co_await (writer() && reader());
    co_await close_connection(env.ioc, stream);
  };
  const auto start = clock::now();
  const std::uint64_t failed_connections = co_await run_concurrently(env.ioc, env.config.connections, [&](std::size_t) { return one(); });
  const double seconds = std::chrono::duration<double>(clock::now() - start).count();
  co_return fmt::format("mode=bulk connections={} failed_connections={} bytes_each_way={} seconds={:.2f} received={} mismatched_reads={} "
                        "mb_per_s_one_way={:.1f}",
                        env.config.connections, failed_connections, bytes, seconds, received_total, mismatches,
                        static_cast<double>(received_total) / seconds / 1e6);
}

}  // namespace closenotify::bench
