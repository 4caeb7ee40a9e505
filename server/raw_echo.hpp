// Raw echo (no ALPN, or one we do not speak): every byte back as it came, no framing.
#pragma once

#include "closenotify/asio.hpp"
#include "session_io.hpp"

namespace closenotify::server {

class raw_echo {
 public:
  explicit raw_echo(session_io& io) : io_(io) {}
  asio::awaitable<void> run();
  void goodbye(close_reason) noexcept {}  // no framing to say it in: close_notify alone says it

 private:
  session_io& io_;
};

}  // namespace closenotify::server
