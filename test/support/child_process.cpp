#include "child_process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace closenotify::test {

namespace {
void make_pipe(int fds[2]) {
  if (::pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error(std::string("pipe2: ") + std::strerror(errno));
}
}  // namespace

child_process::child_process(child_options options) {
  int out[2], err[2], in[2] = {-1, -1};
  make_pipe(out);
  make_pipe(err);
  if (options.pipe_stdin) make_pipe(in);

  std::vector<char*> argv;
  for (auto& a : options.argv) argv.push_back(a.data());
  argv.push_back(nullptr);

  pid_ = ::fork();
  if (pid_ < 0) throw std::runtime_error(std::string("fork: ") + std::strerror(errno));
  if (pid_ == 0) {
    // Child: only async-signal-safe calls until exec. Ignored signals survive exec, and the
    // tests ignore SIGPIPE: give the child the default a shell would.
    ::signal(SIGPIPE, SIG_DFL);
    if (options.max_files) {
      rlimit lim{*options.max_files, *options.max_files};
      ::setrlimit(RLIMIT_NOFILE, &lim);
    }
    ::dup2(out[1], 1);
    ::dup2(options.merge_stderr ? out[1] : err[1], 2);
    if (options.pipe_stdin) ::dup2(in[0], 0);
    else {
      const int in_fd = ::open(options.stdin_file.empty() ? "/dev/null" : options.stdin_file.c_str(), O_RDONLY);
      ::dup2(in_fd, 0);
    }
    ::execvp(argv[0], argv.data());
    ::_exit(127);
  }
  ::close(out[1]);
  ::close(err[1]);
  if (options.pipe_stdin) {
    ::close(in[0]);
    stdin_fd_ = in[1];
  }
  pidfd_ = static_cast<int>(::syscall(SYS_pidfd_open, pid_, 0));
  if (pidfd_ < 0) throw std::runtime_error(std::string("pidfd_open: ") + std::strerror(errno));
  out_thread_ = std::thread([this, fd = out[0]] { pump(fd, false); });
  err_thread_ = std::thread([this, fd = err[0]] { pump(fd, true); });
}

child_process::~child_process() {
  if (!status_) {
    send_signal(SIGKILL);
    wait_exit(std::chrono::seconds(10));
  }
  close_stdin();
  if (out_thread_.joinable()) out_thread_.join();
  if (err_thread_.joinable()) err_thread_.join();
  if (pidfd_ >= 0) ::close(pidfd_);
}

void child_process::pump(int fd, bool is_err) {
  char buf[65536];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    std::lock_guard lock(mutex_);
    if (n <= 0) {
      (is_err ? output_.err_closed : output_.out_closed) = true;
      changed_.notify_all();
      break;
    }
    (is_err ? output_.err : output_.out).append(buf, static_cast<std::size_t>(n));
    if (is_err) {
      err_partial_.append(buf, static_cast<std::size_t>(n));
      std::size_t start = 0;
      for (std::size_t nl; (nl = err_partial_.find('\n', start)) != std::string::npos; start = nl + 1)
        output_.err_lines.emplace_back(err_partial_, start, nl - start);
      err_partial_.erase(0, start);
    }
    changed_.notify_all();
  }
  ::close(fd);
}

void child_process::send_signal(int signo) const {
  if (!status_) ::syscall(SYS_pidfd_send_signal, pidfd_, signo, nullptr, 0);
}

void child_process::write_stdin(std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t n = ::write(stdin_fd_, bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) throw std::runtime_error(std::string("write to child stdin: ") + std::strerror(errno));
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
}

void child_process::close_stdin() {
  if (stdin_fd_ >= 0) ::close(stdin_fd_);
  stdin_fd_ = -1;
}

std::optional<int> child_process::wait_exit(std::chrono::milliseconds timeout) {
  if (status_) return status_;
  pollfd p{pidfd_, POLLIN, 0};
  const int ready = ::poll(&p, 1, static_cast<int>(timeout.count()));
  if (ready <= 0) return std::nullopt;
  int raw = 0;
  if (::waitpid(pid_, &raw, 0) != pid_) return std::nullopt;
  status_ = WIFEXITED(raw) ? WEXITSTATUS(raw) : 128 + WTERMSIG(raw);
  return status_;
}

bool child_process::wait_for(const std::function<bool(const captured&)>& pred, std::chrono::milliseconds timeout) const {
  std::unique_lock lock(mutex_);
  return changed_.wait_for(lock, timeout, [&] { return pred(output_); });
}

captured child_process::snapshot() const {
  std::lock_guard lock(mutex_);
  return output_;
}

}  // namespace closenotify::test
