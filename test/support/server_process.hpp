// The real closenotify-server as a child process, on an ephemeral loopback port, logging
// JSON events that tests await (accept, close with its reason, summary at exit).
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/json/object.hpp>

#include "child_process.hpp"

namespace closenotify::test {

using event = boost::json::object;
using namespace std::chrono_literals;

std::string event_string(const event& e, std::string_view key);
std::uint64_t event_number(const event& e, std::string_view key);

class server_process {
 public:
  // `args`: extra command-line options; `max_files`: RLIMIT_NOFILE for the server.
  explicit server_process(std::vector<std::string> args = {}, std::optional<unsigned long> max_files = {});
  ~server_process();

  std::uint16_t port() const noexcept { return port_; }
  const std::string& cert_path() const noexcept { return cert_path_; }
  const std::string& fingerprint() const noexcept { return fingerprint_; }
  pid_t pid() const noexcept { return child_->pid(); }

  // All JSON events so far (non-JSON stderr lines, e.g. sanitizer reports, are kept as text).
  std::vector<event> events() const;
  std::string stderr_text() const;

  // The first event (oldest first) with this name satisfying pred; fails the test on timeout.
  event wait_event(std::string_view name, const std::function<bool(const event&)>& pred,
                   std::chrono::milliseconds timeout = 30s) const;
  // The close event of the connection whose client side is 127.0.0.1:local_port.
  event wait_close(std::uint16_t local_port, std::chrono::milliseconds timeout = 30s) const;
  // Waits until `count` close events have been logged.
  std::vector<event> wait_closes(std::size_t count, std::chrono::milliseconds timeout = 60s) const;

  void signal(int signo) const { child_->send_signal(signo); }
  // The exit status; the test fails if the server does not exit in time.
  int wait_exit(std::chrono::milliseconds timeout = 60s);
  // SIGTERM, then wait_exit.
  int stop(std::chrono::milliseconds timeout = 60s);
  event summary() const;  // after stop()

  std::size_t open_fds() const;
  std::size_t rss_kib() const;
  std::size_t peak_rss_kib() const;

 private:
  std::filesystem::path dir_;
  std::string cert_path_;
  std::unique_ptr<child_process> child_;
  std::uint16_t port_ = 0;
  std::string fingerprint_;
};

// Path of a built program (compile-time definitions from CMake).
std::string server_binary();

}  // namespace closenotify::test
