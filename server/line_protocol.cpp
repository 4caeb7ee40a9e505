#include "line_protocol.hpp"

#include <algorithm>

#include "closenotify/bulk_data.hpp"
#include "closenotify/command.hpp"
#include "closenotify/sha256.hpp"

namespace closenotify::server {

namespace {
constexpr std::size_t bulk_chunk = 64 * 1024;
}  // namespace

asio::awaitable<void> line_protocol::run() {
  while (io_.reading()) {
    const auto next = lines_.next();
    if (next.what == line_reader::status::line) {
      co_await handle(next.line);
      continue;
    }
    if (next.what == line_reader::status::too_long) {
      io_.send("ERR line-too-long\n");
      io_.stop(close_reason::protocol_error, "line longer than --max-line");
      break;
    }
    const auto [ec] = co_await io_.input_ready();
    const session_io::input in = io_.take_input(ec);
    lines_.append(in.bytes);
    if (in.ended) break;
  }
}

void line_protocol::goodbye(close_reason why) {
  // Mid-/bulk a BYE line would read as bulk data; the close_notify alone says it all.
  if (mid_bulk_) return;
  io_.send(why == close_reason::idle_timeout ? "BYE idle-timeout\n" : "BYE shutting-down\n");
}

asio::awaitable<void> line_protocol::handle(std::string_view line) {
  const command cmd = parse_command(line);
  if (cmd.kind == command_kind::bulk) co_return co_await stream_bulk(cmd.bulk_bytes);
  if (!io_.has_room() && !co_await io_.wait_for_room()) co_return;
  switch (cmd.kind) {
    case command_kind::echo:
      io_.append(line);  // the line and its LF go out in one record
      io_.send("\n");
      break;
    case command_kind::ping: io_.send("PONG\n"); break;
    case command_kind::stats: io_.send(stats_.stats().to_json() + "\n"); break;
    case command_kind::help: io_.send(help_text()); break;
    case command_kind::quit:
      // The peer asked for the close; how its close_notify answers ours decides the reason.
      io_.send("BYE\n");
      io_.peer_finished();
      break;
    case command_kind::unknown: io_.send("ERR unknown-command /" + std::string(cmd.name) + "\n"); break;
    case command_kind::bad_argument: io_.send("ERR bad-argument /" + std::string(cmd.name) + "\n"); break;
    case command_kind::bulk: break;
  }
}

asio::awaitable<void> line_protocol::stream_bulk(std::uint64_t bytes) {
  sha256 hash;
  mid_bulk_ = true;
  for (std::uint64_t offset = 0; offset < bytes;) {
    if (!io_.has_room() && !co_await io_.wait_for_room()) co_return;  // stopped mid-stream: no trailer
    const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(bytes - offset, bulk_chunk));
    const std::span<char> chunk = io_.append_space(n);
    fill_bulk_data(offset, chunk);
    hash.update(chunk);
    offset += n;
    io_.flush();
  }
  mid_bulk_ = false;
  io_.send("SHA256 " + hash.hex_digest() + "\n");
}

}  // namespace closenotify::server
