// Received data to stdout, as it comes. Blocking on purpose: a slow consumer of our stdout
// slows our reading from the server (the reader re-arms its TLS read only after the bytes
// are out), which is the back-pressure a pipe should have.
#pragma once

#include <string_view>

namespace closenotify::cli {

class stdout_sink {
 public:
  // False once stdout is gone (`| head -c 10`: EPIPE, SIGPIPE being ignored): nobody wants
  // the rest. Later writes are dropped.
  bool write(std::string_view data);
  bool closed() const noexcept { return closed_; }

 private:
  bool closed_ = false;
};

}  // namespace closenotify::cli
