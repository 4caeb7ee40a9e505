#include "closenotify/deadline.hpp"

namespace closenotify {

struct deadline::guard {
  std::function<void()> on_expiry;
  std::uint64_t generation = 0;  // which arm() a queued handler belongs to
  clock::time_point at = clock::time_point::max();
  bool alive = true;
};

deadline::deadline(const asio::io_context::executor_type& executor, std::function<void()> on_expiry)
    : timer_(executor), guard_(std::make_shared<guard>()) {
  guard_->on_expiry = std::move(on_expiry);
}

deadline::~deadline() { guard_->alive = false; }

deadline::clock::time_point deadline::expiry() const noexcept { return guard_->at; }

void deadline::arm(clock::time_point at) {
  guard& g = *guard_;
  if (at == g.at) return;
  g.at = at;
  const std::uint64_t generation = ++g.generation;
  if (at == clock::time_point::max()) {
    timer_.cancel();
    return;
  }
  timer_.expires_at(at);  // a wait still pending completes with operation_aborted
  timer_.async_wait([held = guard_, generation](const error_code& ec) {
    // A handler queued before a re-arm or the owner's end carries a stale generation or a
    // dead guard, even when its error code says it expired.
    if (ec || !held->alive || held->generation != generation) return;
    held->at = clock::time_point::max();
    held->on_expiry();
  });
}

}  // namespace closenotify
