// The deadline primitive: the owner's callback runs for the expiry most recently armed, and
// never after a re-arm, a disarm or the deadline's end, even when the timer's handler was
// already queued. Expiries in the past, so no test waits.
#include <boost/test/unit_test.hpp>

#include <memory>

#include "closenotify/deadline.hpp"

using namespace closenotify;
using clock_type = deadline::clock;

BOOST_AUTO_TEST_SUITE(deadline)

BOOST_AUTO_TEST_CASE(an_armed_deadline_calls_back_once) {
  asio::io_context ioc;
  int calls = 0;
  closenotify::deadline d(ioc.get_executor(), [&] { ++calls; });
  d.arm(clock_type::now() - std::chrono::seconds(1));
  ioc.run();
  BOOST_TEST(calls == 1);
  BOOST_TEST((d.expiry() == clock_type::time_point::max()));  // spent
}

// Both timers expired before the event loop ran, so one pass of the reactor queues both
// handlers, the earlier first: when `first` runs, the deadline's handler is already queued
// with success, which cancelling its timer no longer changes. Only the guard stops it.

BOOST_AUTO_TEST_CASE(a_handler_queued_before_a_rearm_does_not_call_back) {
  asio::io_context ioc;
  int calls = 0;
  closenotify::deadline d(ioc.get_executor(), [&] { ++calls; });
  asio::steady_timer first(ioc, clock_type::now() - std::chrono::seconds(2));
  d.arm(clock_type::now() - std::chrono::seconds(1));
  first.async_wait([&](const error_code&) { d.arm(clock_type::now() + std::chrono::hours(1)); });
  ioc.run_for(std::chrono::seconds(1));  // the re-armed expiry is an hour away: run_for ends
  BOOST_TEST(calls == 0);
}

BOOST_AUTO_TEST_CASE(a_deadline_destroyed_with_its_handler_queued_never_calls_back) {
  asio::io_context ioc;
  bool called = false;
  auto d = std::make_unique<closenotify::deadline>(ioc.get_executor(), [&] { called = true; });
  asio::steady_timer first(ioc, clock_type::now() - std::chrono::seconds(2));
  d->arm(clock_type::now() - std::chrono::seconds(1));
  first.async_wait([&](const error_code&) { d.reset(); });  // the owner ends; its timer's handler is queued
  ioc.run();
  BOOST_TEST(!called);
}

BOOST_AUTO_TEST_CASE(arming_the_same_time_again_is_free_and_a_callback_may_rearm) {
  asio::io_context ioc;
  int calls = 0;
  closenotify::deadline* self = nullptr;
  closenotify::deadline d(ioc.get_executor(), [&] {
    if (++calls < 3) self->arm(clock_type::now() - std::chrono::milliseconds(1));
  });
  self = &d;
  const auto at = clock_type::now() - std::chrono::seconds(1);
  d.arm(at);
  d.arm(at);  // no second wait
  ioc.run();
  BOOST_TEST(calls == 3);
}

BOOST_AUTO_TEST_SUITE_END()
