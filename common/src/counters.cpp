#include "closenotify/counters.hpp"

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

namespace closenotify {

std::uint64_t counters_snapshot::closed_total() const noexcept {
  std::uint64_t total = 0;
  for (auto n : closed) total += n;
  return total;
}

std::uint64_t counters_snapshot::handshake_failures() const noexcept {
  return closed_by(close_reason::handshake_failed) + closed_by(close_reason::handshake_timeout);
}

counters_snapshot& counters_snapshot::operator+=(const counters_snapshot& other) noexcept {
  accepted += other.accepted;
  bytes_in += other.bytes_in;
  bytes_out += other.bytes_out;
  for (std::size_t i = 0; i < closed.size(); ++i) closed[i] += other.closed[i];
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

counters_snapshot counters::snapshot() const noexcept {
  counters_snapshot s;
  s.accepted = accepted_.load(std::memory_order_relaxed);
  s.bytes_in = bytes_in_.load(std::memory_order_relaxed);
  s.bytes_out = bytes_out_.load(std::memory_order_relaxed);
  for (std::size_t i = 0; i < closed_.size(); ++i) s.closed[i] = closed_[i].load(std::memory_order_relaxed);
  return s;
}

counters_snapshot sum(std::span<const counters* const> blocks) noexcept {
  counters_snapshot total;
  for (const counters* c : blocks) total += c->snapshot();
  return total;
}

}  // namespace closenotify
