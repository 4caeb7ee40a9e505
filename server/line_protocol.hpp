// The closenotify/1 line protocol: lines echoed; /quit, /ping, /stats, /bulk N, /help; a line
// longer than --max-line is a protocol error (ERR line-too-long, then the close).
#pragma once

#include <cstdint>
#include <string_view>

#include "closenotify/asio.hpp"
#include "closenotify/line_reader.hpp"
#include "session_env.hpp"
#include "session_io.hpp"

namespace closenotify::server {

class line_protocol {
 public:
  static constexpr connection_protocol protocol = connection_protocol::line;
  line_protocol(session_io& io, std::size_t max_line, const stats_source& stats)
      : io_(io), lines_(max_line), stats_(stats) {}
  asio::awaitable<void> run();
  void goodbye(close_reason why);  // BYE shutting-down, BYE idle-timeout

 private:
  asio::awaitable<void> handle(std::string_view line);
  asio::awaitable<void> stream_bulk(std::uint64_t bytes);

  session_io& io_;
  line_reader lines_;
  const stats_source& stats_;
  bool mid_bulk_ = false;
};

}  // namespace closenotify::server
