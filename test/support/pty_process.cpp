#include "pty_process.hpp"

#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace closenotify::test {

pty_process::pty_process(std::vector<std::string> argv) {
  std::vector<char*> args;
  for (auto& a : argv) args.push_back(a.data());
  args.push_back(nullptr);
  pid_ = ::forkpty(&master_, nullptr, nullptr, nullptr);
  if (pid_ < 0) throw std::runtime_error(std::string("forkpty: ") + std::strerror(errno));
  if (pid_ == 0) {
    ::signal(SIGPIPE, SIG_DFL);  // as a shell would start it (the tests ignore SIGPIPE)
    ::execvp(args[0], args.data());
    ::_exit(127);
  }
  pidfd_ = static_cast<int>(::syscall(SYS_pidfd_open, pid_, 0));
}

pty_process::~pty_process() {
  if (!status_) {
    ::kill(pid_, SIGKILL);
    wait_exit(std::chrono::seconds(10));
  }
  ::close(master_);
  if (pidfd_ >= 0) ::close(pidfd_);
}

void pty_process::type(std::string_view keys) {
  while (!keys.empty()) {
    const ssize_t n = ::write(master_, keys.data(), keys.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) throw std::runtime_error("write to pty failed");
    keys.remove_prefix(static_cast<std::size_t>(n));
  }
}

void pty_process::read_available(int timeout_ms) {
  pollfd p{master_, POLLIN, 0};
  if (::poll(&p, 1, timeout_ms) <= 0) return;
  char buf[4096];
  const ssize_t n = ::read(master_, buf, sizeof buf);  // EIO once the child is gone
  if (n > 0) screen_.append(buf, static_cast<std::size_t>(n));
}

bool pty_process::wait_for(std::string_view text, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    const auto at = screen_.find(text, matched_);
    if (at != std::string::npos) {
      matched_ = at + text.size();
      return true;
    }
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    read_available(static_cast<int>(left.count()));
  }
}

std::optional<int> pty_process::wait_exit(std::chrono::milliseconds timeout) {
  if (status_) return status_;
  pollfd p{pidfd_, POLLIN, 0};
  if (::poll(&p, 1, static_cast<int>(timeout.count())) <= 0) return std::nullopt;
  read_available(0);
  int raw = 0;
  if (::waitpid(pid_, &raw, 0) != pid_) return std::nullopt;
  status_ = WIFEXITED(raw) ? WEXITSTATUS(raw) : 128 + WTERMSIG(raw);
  return status_;
}

void pty_process::send_signal(int signo) const { ::kill(pid_, signo); }

}  // namespace closenotify::test
