// A child process for tests: argv in, stdout/stderr captured line by line by reader threads,
// optional stdin pipe, bounded waits on output and on exit (pidfd + poll, never sleeps).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace closenotify::test {

struct child_options {
  std::vector<std::string> argv;
  bool pipe_stdin = false;
  std::string stdin_file;                  // stdin from this file (when not piped)
  bool merge_stderr = false;               // stderr into the stdout capture
  std::optional<unsigned long> max_files;  // RLIMIT_NOFILE for the child
};

// The usual case: argv, with a pipe to write the child's stdin.
inline child_options piped(std::vector<std::string> argv) {
  child_options options;
  options.argv = std::move(argv);
  options.pipe_stdin = true;
  return options;
}

struct captured {
  std::string out;
  std::string err;
  std::vector<std::string> err_lines;  // complete lines of stderr
  bool out_closed = false;
  bool err_closed = false;
};

class child_process {
 public:
  explicit child_process(child_options options);
  child_process(const child_process&) = delete;
  child_process& operator=(const child_process&) = delete;
  ~child_process();  // SIGKILL and reap if still running

  pid_t pid() const noexcept { return pid_; }
  void send_signal(int signo) const;
  void write_stdin(std::string_view bytes);
  void close_stdin();

  // Exit status (signals as 128 + signo), or nullopt if it did not exit in time.
  std::optional<int> wait_exit(std::chrono::milliseconds timeout);

  // Waits until pred(captured) holds; false on timeout.
  bool wait_for(const std::function<bool(const captured&)>& pred, std::chrono::milliseconds timeout) const;
  captured snapshot() const;
  template <class F>
  auto with_output(F&& f) const {
    std::lock_guard lock(mutex_);
    return f(output_);
  }

 private:
  void pump(int fd, bool is_err);

  pid_t pid_ = -1;
  int pidfd_ = -1;
  int stdin_fd_ = -1;
  std::optional<int> status_;
  mutable std::mutex mutex_;
  mutable std::condition_variable changed_;
  captured output_;
  std::string err_partial_;  // stderr bytes after the last complete line
  std::thread out_thread_;
  std::thread err_thread_;
};

}  // namespace closenotify::test
