#include "closenotify/counters.hpp"

#include <algorithm>

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

namespace closenotify {

std::string_view to_string(connection_protocol p) noexcept {
  constexpr std::array<std::string_view, connection_protocol_count> names{"none", "raw", "line", "http", "ws"};
  return names[static_cast<std::size_t>(p)];
}

std::uint64_t counters_snapshot::closed_by(close_reason r) const noexcept {
  std::uint64_t total = 0;
  for (auto n : closed[static_cast<std::size_t>(r)]) total += n;
  return total;
}

std::uint64_t counters_snapshot::closed_total() const noexcept {
  std::uint64_t total = 0;
  for (auto r : all_close_reasons) total += closed_by(r);
  return total;
}

std::uint64_t counters_snapshot::handshake_failures() const noexcept {
  return closed_by(close_reason::handshake_failed) + closed_by(close_reason::handshake_timeout);
}

counters_snapshot& counters_snapshot::operator+=(const counters_snapshot& other) {
  accepted += other.accepted;
  bytes_in += other.bytes_in;
  bytes_out += other.bytes_out;
  for (std::size_t r = 0; r < closed.size(); ++r)
    for (std::size_t p = 0; p < closed[r].size(); ++p) closed[r][p] += other.closed[r][p];
  handshake_seconds += other.handshake_seconds;
  duration_seconds += other.duration_seconds;
  for (const auto& theirs : other.tls) {
    auto ours = std::find_if(tls.begin(), tls.end(),
                             [&](const tls_usage& u) { return u.version == theirs.version && u.cipher == theirs.cipher; });
    if (ours == tls.end()) {
      tls.push_back(theirs);
    } else {
      ours->established += theirs.established;
      ours->active += theirs.active;
    }
  }
  return *this;
}

std::string counters_snapshot::to_json() const {
  boost::json::object by_reason;
  for (auto r : all_close_reasons) by_reason[to_string(r)] = closed_by(r);
  boost::json::object o;
  o["accepted"] = accepted;
  o["active"] = active();
  o["closed_total"] = closed_total();
  o["handshake_failures"] = handshake_failures();
  o["bytes_in"] = bytes_in;
  o["bytes_out"] = bytes_out;
  o["closed"] = std::move(by_reason);
  return boost::json::serialize(o);
}

template <std::size_t Bounds>
void counters::observe(histogram<Bounds>& h, const std::array<double, Bounds>& bounds, duration d) noexcept {
  const double seconds = std::chrono::duration<double>(d).count();
  std::size_t i = 0;
  while (i < Bounds && seconds > bounds[i]) ++i;
  bump(h.counts[i], 1);
  bump(h.sum_us, static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(d).count()));
}

template <std::size_t Bounds>
histogram_snapshot<Bounds> counters::read(const histogram<Bounds>& h) noexcept {
  histogram_snapshot<Bounds> s;
  for (std::size_t i = 0; i < s.counts.size(); ++i) s.counts[i] = h.counts[i].load(std::memory_order_relaxed);
  s.sum_us = h.sum_us.load(std::memory_order_relaxed);
  return s;
}

std::uint8_t counters::on_tls_established(std::string_view version, std::string_view cipher, duration took) noexcept {
  observe(handshake_, handshake_buckets, took);
  for (std::size_t i = 0; i < tls_.size(); ++i) {
    tls_entry& slot = tls_[i];
    const char* v = slot.version.load(std::memory_order_acquire);
    if (v == nullptr) {
      // A new pair: its names first, then the version pointer that makes the slot visible.
      slot.cipher = cipher.data();
      slot.cipher_size = cipher.size();
      slot.version_size = version.size();
      slot.version.store(version.data(), std::memory_order_release);
    } else if (std::string_view(v, slot.version_size) != version ||
               std::string_view(slot.cipher, slot.cipher_size) != cipher) {
      continue;
    }
    bump(slot.established, 1);
    return static_cast<std::uint8_t>(i);
  }
  return no_tls;  // more pairs than slots: counted in the histogram only
}

void counters::on_close(close_reason r, connection_protocol p, duration lived, std::uint8_t slot) noexcept {
  bump(closed_[static_cast<std::size_t>(r)][static_cast<std::size_t>(p)], 1);
  observe(duration_, duration_buckets, lived);
  if (slot < tls_.size()) bump(tls_[slot].closed, 1);
}

counters_snapshot counters::snapshot() const {
  counters_snapshot s;
  s.accepted = accepted_.load(std::memory_order_relaxed);
  s.bytes_in = bytes_in_.load(std::memory_order_relaxed);
  s.bytes_out = bytes_out_.load(std::memory_order_relaxed);
  for (std::size_t r = 0; r < closed_.size(); ++r)
    for (std::size_t p = 0; p < closed_[r].size(); ++p) s.closed[r][p] = closed_[r][p].load(std::memory_order_relaxed);
  s.handshake_seconds = read(handshake_);
  s.duration_seconds = read(duration_);
  for (const tls_entry& slot : tls_) {
    const char* v = slot.version.load(std::memory_order_acquire);
    if (v == nullptr) break;
    // Closes first: each close follows its establishment, so active never goes negative.
    const std::uint64_t closed = slot.closed.load(std::memory_order_relaxed);
    const std::uint64_t established = slot.established.load(std::memory_order_relaxed);
    s.tls.push_back({std::string(v, slot.version_size), std::string(slot.cipher, slot.cipher_size), established,
                     established - std::min(closed, established)});
  }
  return s;
}

}  // namespace closenotify
