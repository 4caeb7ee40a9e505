#include "stdin_source.hpp"

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <condition_variable>
#include <mutex>
#include <optional>

#include <boost/asio/post.hpp>

#include "closenotify/wakeup.hpp"

namespace closenotify::cli {

struct stdin_source::state {
  explicit state(asio::io_context& context) : ioc(context), arrived(context) {}
  asio::io_context& ioc;
  int wake[2] = {-1, -1};
  std::mutex mutex;
  std::condition_variable cv;
  bool requested = false;  // guarded by mutex
  bool stopping = false;   // guarded by mutex
  // Only on the io_context's thread:
  std::optional<chunk> ready;
  bool stopped = false;
  wakeup arrived;
};

stdin_source::stdin_source(asio::io_context& ioc, int fd) : state_(std::make_shared<state>(ioc)) {
  if (::pipe2(state_->wake, O_CLOEXEC) != 0) throw std::runtime_error("pipe2 failed");
  thread_ = std::thread([s = state_, fd] {
    for (;;) {
      {
        std::unique_lock lock(s->mutex);
        s->cv.wait(lock, [&] { return s->requested || s->stopping; });
        if (s->stopping) return;
        s->requested = false;
      }
      pollfd fds[2] = {{fd, POLLIN, 0}, {s->wake[0], POLLIN, 0}};
      while (::poll(fds, 2, -1) < 0 && errno == EINTR) {
      }
      if (fds[1].revents != 0) return;
      chunk c;
      c.data.resize(64 * 1024);
      ssize_t n;
      while ((n = ::read(fd, c.data.data(), c.data.size())) < 0 && errno == EINTR) {
      }
      if (n < 0) c.error = errno;
      c.data.resize(n > 0 ? static_cast<std::size_t>(n) : 0);
      c.eof = n == 0;
      const bool last = n <= 0;
      asio::post(s->ioc, [s, c = std::move(c)]() mutable {
        s->ready = std::move(c);
        s->arrived.notify();
      });
      if (last) return;
    }
  });
}

stdin_source::~stdin_source() {
  {
    std::lock_guard lock(state_->mutex);
    state_->stopping = true;
  }
  state_->cv.notify_one();
  [[maybe_unused]] auto ignored = ::write(state_->wake[1], "x", 1);
  thread_.join();
  ::close(state_->wake[0]);
  ::close(state_->wake[1]);
}

asio::awaitable<stdin_source::chunk> stdin_source::next() {
  state& s = *state_;
  if (!s.ready && !s.stopped) {
    {
      std::lock_guard lock(s.mutex);
      s.requested = true;
    }
    s.cv.notify_one();
    while (!s.ready && !s.stopped) co_await s.arrived.wait();
  }
  if (s.stopped) co_return chunk{.data = {}, .eof = false, .stopped = true, .error = 0};
  chunk c = std::move(*s.ready);
  s.ready.reset();
  co_return c;
}

void stdin_source::stop() {
  state_->stopped = true;
  state_->arrived.notify();
  {
    std::lock_guard lock(state_->mutex);
    state_->stopping = true;
  }
  state_->cv.notify_one();
  [[maybe_unused]] auto ignored = ::write(state_->wake[1], "x", 1);
}

}  // namespace closenotify::cli
