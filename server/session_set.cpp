#include "session_set.hpp"

#include "session.hpp"

namespace closenotify::server {

// Neither stop() nor abort() ends a session synchronously (their cancellations complete
// later), so the set does not change while it is walked.
void session_set::stop_all(close_reason reason) {
  draining_ = true;
  for (session* s : sessions_) s->stop(reason);
}

void session_set::abort_all() {
  for (session* s : sessions_) s->abort();
}

}  // namespace closenotify::server
