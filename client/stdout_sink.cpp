#include "stdout_sink.hpp"

#include <poll.h>
#include <unistd.h>

#include <cerrno>

namespace closenotify::cli {

bool stdout_sink::write(std::string_view data) {
  while (!closed_ && !data.empty()) {
    const ssize_t n = ::write(STDOUT_FILENO, data.data(), data.size());
    if (n > 0) {
      data.remove_prefix(static_cast<std::size_t>(n));
    } else if (n < 0 && errno == EAGAIN) {
      pollfd p{STDOUT_FILENO, POLLOUT, 0};  // a non-blocking stdout someone else set up
      ::poll(&p, 1, -1);
    } else if (!(n < 0 && errno == EINTR)) {
      closed_ = true;  // EPIPE or another failure
    }
  }
  return !closed_;
}

}  // namespace closenotify::cli
