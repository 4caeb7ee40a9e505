// The live sessions of one worker, for the drain: a session adds itself when it starts and
// removes itself when it ends; the worker stops or cuts them all. One thread, no lock.
#pragma once

#include <unordered_set>

#include "closenotify/close_reason.hpp"

namespace closenotify::server {

class session;

class session_set {
 public:
  void add(session& s) { sessions_.insert(&s); }
  void remove(session& s) { sessions_.erase(&s); }
  std::size_t size() const noexcept { return sessions_.size(); }

  // A session accepted from now on is stopped as it starts (the sweep may have missed it).
  bool draining() const noexcept { return draining_; }
  void stop_all(close_reason reason);
  void abort_all();

 private:
  std::unordered_set<session*> sessions_;
  bool draining_ = false;
};

}  // namespace closenotify::server
