// The one timer primitive of closenotify: a deadline that calls its owner back when it passes.
// Server sessions, the client and the benchmark tool arm one per connection (or per bounded
// wait) at the time connection_lifecycle::next_wakeup() gives, and act on what tick() says.
//
// Why not a bare steady_timer with a handler that captures `this`: cancelling a timer does
// not recall a handler that is already queued (it expired just as the owner moved on), so the
// owner would have to wait for that handler before it may be destroyed. Here the handler holds
// only a small shared guard; the owner's callback runs only while the deadline object lives
// and only for the expiry most recently armed. No join, no shared ownership of the owner.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>

#include "closenotify/asio.hpp"

namespace closenotify {

class deadline {
 public:
  using clock = std::chrono::steady_clock;

  // `on_expiry` runs on the executor, at most once per arm(), never after disarm(), a later
  // arm() or the destructor.
  deadline(const asio::io_context::executor_type& executor, std::function<void()> on_expiry);
  deadline(const deadline&) = delete;
  deadline& operator=(const deadline&) = delete;
  ~deadline();

  // Replaces the previous expiry. Arming the time already armed costs nothing, so a driver
  // may re-arm after every event; time_point::max() is never.
  void arm(clock::time_point at);
  void disarm() { arm(clock::time_point::max()); }
  clock::time_point expiry() const noexcept;

 private:
  struct guard;
  context_timer timer_;
  std::shared_ptr<guard> guard_;
};

}  // namespace closenotify
