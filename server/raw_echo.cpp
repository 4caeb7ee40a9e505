#include "raw_echo.hpp"

namespace closenotify::server {

asio::awaitable<void> raw_echo::run() {
  if (!first_.empty()) {
    io_.send(first_);
    std::string().swap(first_);
  }
  while (io_.reading()) {
    if (!io_.has_room() && !co_await io_.wait_for_room()) break;
    const auto [ec] = co_await io_.input_ready();
    const session_io::input in = io_.take_input(ec);
    // Echo what arrived even if a stop raced with the read: every byte read is owed back.
    if (!in.bytes.empty()) io_.send(in.bytes);
    if (in.ended) break;
  }
}

}  // namespace closenotify::server
