// Connection counters. One block per thread, written only by that thread (no lock prefix on
// the hot path), read by any thread; a snapshot sums the blocks.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <span>
#include <string>

#include "closenotify/close_reason.hpp"

namespace closenotify {

struct counters_snapshot {
  std::uint64_t accepted = 0;
  std::uint64_t bytes_in = 0;   // application bytes received
  std::uint64_t bytes_out = 0;  // application bytes sent
  std::array<std::uint64_t, close_reason_count> closed{};

  std::uint64_t closed_total() const noexcept;
  std::uint64_t active() const noexcept { return accepted - closed_total(); }
  std::uint64_t handshake_failures() const noexcept;
  std::uint64_t closed_by(close_reason r) const noexcept { return closed[static_cast<std::size_t>(r)]; }

  counters_snapshot& operator+=(const counters_snapshot& other) noexcept;

  std::string to_json() const;     // one line: {"accepted":..,"active":..,"closed":{..},..}
};

class counters {
 public:
  void on_accept() noexcept { bump(accepted_, 1); }
  void on_close(close_reason r) noexcept { bump(closed_[static_cast<std::size_t>(r)], 1); }
  void on_bytes_in(std::uint64_t n) noexcept { bump(bytes_in_, n); }
  void on_bytes_out(std::uint64_t n) noexcept { bump(bytes_out_, n); }

  counters_snapshot snapshot() const noexcept;

 private:
  // Single writer: a plain load+store is enough and avoids a locked instruction per I/O.
  static void bump(std::atomic<std::uint64_t>& c, std::uint64_t n) noexcept {
    c.store(c.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  }

  alignas(64) std::atomic<std::uint64_t> accepted_{0};
  std::atomic<std::uint64_t> bytes_in_{0};
  std::atomic<std::uint64_t> bytes_out_{0};
  std::array<std::atomic<std::uint64_t>, close_reason_count> closed_{};
};

counters_snapshot sum(std::span<const counters* const> blocks) noexcept;

}  // namespace closenotify
