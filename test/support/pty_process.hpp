// A program in a pseudo-terminal, for tests of interactive behaviour: type keys, read
// what the terminal shows, wait for the exit.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace closenotify::test {

class pty_process {
 public:
  explicit pty_process(std::vector<std::string> argv);
  pty_process(const pty_process&) = delete;
  pty_process& operator=(const pty_process&) = delete;
  ~pty_process();

  void type(std::string_view keys);
  // Reads the screen until `text` has appeared (after everything matched before); false on timeout.
  bool wait_for(std::string_view text, std::chrono::milliseconds timeout);
  std::optional<int> wait_exit(std::chrono::milliseconds timeout);
  const std::string& screen() const noexcept { return screen_; }
  void send_signal(int signo) const;

 private:
  void read_available(int timeout_ms);
  pid_t pid_ = -1;
  int master_ = -1;
  int pidfd_ = -1;
  std::string screen_;
  std::size_t matched_ = 0;
  std::optional<int> status_;
};

}  // namespace closenotify::test
