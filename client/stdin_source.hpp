// Standard input as chunks for a coroutine, whatever it is: a terminal, a pipe or a regular
// file. epoll refuses regular files, and putting a shared terminal or pipe into
// non-blocking mode would leak into the shell, so a thread does plain blocking reads,
// poll()ing a wake pipe too so it can be stopped. One chunk is in flight at a time: the
// reader waits for the consumer, so back-pressure reaches whoever writes into our stdin.
#pragma once

#include <memory>
#include <string>
#include <thread>

#include "closenotify/asio.hpp"

namespace closenotify::cli {

class stdin_source {
 public:
  struct chunk {
    std::string data;
    bool eof = false;      // end of input
    bool stopped = false;  // stop() was called
    int error = 0;         // errno of a failed read
  };

  stdin_source(asio::io_context& ioc, int fd);
  stdin_source(const stdin_source&) = delete;
  stdin_source& operator=(const stdin_source&) = delete;
  ~stdin_source();

  asio::awaitable<chunk> next();
  void stop();  // on the io_context's thread

 private:
  struct state;
  std::shared_ptr<state> state_;
  std::thread thread_;
};

}  // namespace closenotify::cli
