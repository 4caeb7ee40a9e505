// Connection counters. One block per thread, written only by that thread (no lock prefix on
// the hot path), read by any thread; a snapshot sums the blocks.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "closenotify/close_reason.hpp"

namespace closenotify {

// What a connection spoke: chosen by ALPN or by its first bytes; `none` until then. A
// WebSocket began as HTTP and is counted as what it became.
enum class connection_protocol : std::uint8_t { none, raw, line, http, websocket };
inline constexpr std::size_t connection_protocol_count = 5;
inline constexpr std::array<connection_protocol, connection_protocol_count> all_connection_protocols{
    connection_protocol::none, connection_protocol::raw, connection_protocol::line, connection_protocol::http,
    connection_protocol::websocket};
std::string_view to_string(connection_protocol p) noexcept;

// Upper bounds, in seconds, of the two histograms' buckets (the last bucket is +Inf).
inline constexpr std::array<double, 12> handshake_buckets{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                                          0.05,   0.1,   0.25,   0.5,   1,    5};
inline constexpr std::array<double, 10> duration_buckets{0.001, 0.01, 0.1, 1, 10, 60, 300, 900, 1800, 3600};

template <std::size_t Bounds>
struct histogram_snapshot {
  std::array<std::uint64_t, Bounds + 1> counts{};  // per bucket, not cumulative; the last is +Inf
  std::uint64_t sum_us = 0;

  std::uint64_t count() const noexcept {
    std::uint64_t n = 0;
    for (auto c : counts) n += c;
    return n;
  }
  histogram_snapshot& operator+=(const histogram_snapshot& other) noexcept {
    for (std::size_t i = 0; i < counts.size(); ++i) counts[i] += other.counts[i];
    sum_us += other.sum_us;
    return *this;
  }
};

// TLS connections by version and cipher: how many were established, how many are open now.
struct tls_usage {
  std::string version;
  std::string cipher;
  std::uint64_t established = 0;
  std::uint64_t active = 0;
};

struct counters_snapshot {
  std::uint64_t accepted = 0;
  std::uint64_t bytes_in = 0;   // application bytes received
  std::uint64_t bytes_out = 0;  // application bytes sent
  std::array<std::array<std::uint64_t, connection_protocol_count>, close_reason_count> closed{};
  histogram_snapshot<handshake_buckets.size()> handshake_seconds;
  histogram_snapshot<duration_buckets.size()> duration_seconds;
  std::vector<tls_usage> tls;

  std::uint64_t closed_total() const noexcept;
  std::uint64_t active() const noexcept { return accepted - closed_total(); }
  std::uint64_t handshake_failures() const noexcept;
  std::uint64_t closed_by(close_reason r) const noexcept;
  std::uint64_t closed_by(close_reason r, connection_protocol p) const noexcept {
    return closed[static_cast<std::size_t>(r)][static_cast<std::size_t>(p)];
  }

  counters_snapshot& operator+=(const counters_snapshot& other);

  std::string to_json() const;     // one line: {"accepted":..,"active":..,"closed":{..},..}
};

class counters {
 public:
  using duration = std::chrono::steady_clock::duration;
  static constexpr std::uint8_t no_tls = 0xff;

  void on_accept() noexcept { bump(accepted_, 1); }
  void on_bytes_in(std::uint64_t n) noexcept { bump(bytes_in_, n); }
  void on_bytes_out(std::uint64_t n) noexcept { bump(bytes_out_, n); }
  // A handshake done after `took`; returns the (version, cipher) slot to give to on_close.
  // `version` and `cipher` are OpenSSL's static names.
  std::uint8_t on_tls_established(std::string_view version, std::string_view cipher, duration took) noexcept;
  void on_close(close_reason r, connection_protocol p, duration lived, std::uint8_t slot) noexcept;

  counters_snapshot snapshot() const;

 private:
  // Single writer: a plain load+store is enough and avoids a locked instruction per I/O.
  static void bump(std::atomic<std::uint64_t>& c, std::uint64_t n) noexcept {
    c.store(c.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  }
  template <std::size_t Bounds>
  struct histogram {
    std::array<std::atomic<std::uint64_t>, Bounds + 1> counts{};
    std::atomic<std::uint64_t> sum_us{0};
  };
  template <std::size_t Bounds>
  static void observe(histogram<Bounds>& h, const std::array<double, Bounds>& bounds, duration d) noexcept;
  template <std::size_t Bounds>
  static histogram_snapshot<Bounds> read(const histogram<Bounds>& h) noexcept;

  struct tls_entry {
    std::atomic<const char*> version{nullptr};  // published after cipher: a reader sees both
    const char* cipher = nullptr;
    std::size_t version_size = 0, cipher_size = 0;
    std::atomic<std::uint64_t> established{0};
    std::atomic<std::uint64_t> closed{0};
  };

  alignas(64) std::atomic<std::uint64_t> accepted_{0};
  std::atomic<std::uint64_t> bytes_in_{0};
  std::atomic<std::uint64_t> bytes_out_{0};
  std::array<std::array<std::atomic<std::uint64_t>, connection_protocol_count>, close_reason_count> closed_{};
  histogram<handshake_buckets.size()> handshake_;
  histogram<duration_buckets.size()> duration_;
  std::array<tls_entry, 16> tls_;  // TLS 1.2 and 1.3 with this server's suites need a handful
};

}  // namespace closenotify
