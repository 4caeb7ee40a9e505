// A coroutine waits here until another part of the same thread says that something it waits
// for may have changed (room in a queue, a decision, data arrived). A timer that never
// expires, cancelled to wake the waiter. One waiter at a time; a notify with no waiter is
// lost, so the waiter re-checks its condition in a loop: while (!ready) co_await w.wait();
#pragma once

#include "closenotify/asio.hpp"

namespace closenotify {

class wakeup {
 public:
  explicit wakeup(const asio::io_context::executor_type& executor) : timer_(executor) {}
  explicit wakeup(asio::io_context& context) : timer_(context) {}

  auto wait() {
    timer_.expires_at(std::chrono::steady_clock::time_point::max());
    return timer_.async_wait(use_nothrow);
  }
  void notify() { timer_.cancel(); }

 private:
  context_timer timer_;
};

}  // namespace closenotify
