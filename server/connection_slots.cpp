#include "connection_slots.hpp"

namespace closenotify::server {

connection_slots::connection_slots(std::size_t limit, std::function<void()> on_freed)
    : limit_(limit), on_freed_(std::move(on_freed)) {}

std::optional<connection_slots::slot> connection_slots::try_take() noexcept {
  if (limit_ == 0) return slot{};
  std::size_t now = taken_.load(std::memory_order_relaxed);
  do {
    if (now >= limit_) return std::nullopt;
  } while (!taken_.compare_exchange_weak(now, now + 1, std::memory_order_relaxed));
  return slot{this};
}

void connection_slots::release() noexcept {
  if (taken_.fetch_sub(1, std::memory_order_relaxed) == limit_ && on_freed_) on_freed_();
}

}  // namespace closenotify::server
