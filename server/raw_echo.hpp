// Raw echo (no ALPN, or one we do not speak): every byte back as it came, no framing.
#pragma once

#include <string>

#include "closenotify/asio.hpp"
#include "session_io.hpp"

namespace closenotify::server {

class raw_echo {
 public:
  static constexpr connection_protocol protocol = connection_protocol::raw;
  // `first`: bytes already read while the protocol was chosen; they are echoed first.
  raw_echo(session_io& io, std::string first) : io_(io), first_(std::move(first)) {}
  asio::awaitable<void> run();
  void goodbye(close_reason) noexcept {}  // no framing to say it in: close_notify alone says it

 private:
  session_io& io_;
  std::string first_;
};

}  // namespace closenotify::server
