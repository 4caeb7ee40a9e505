#include "closenotify/command.hpp"

#include <charconv>

namespace closenotify {

namespace {
std::string_view trim(std::string_view s) noexcept {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}
}  // namespace

command parse_command(std::string_view line) noexcept {
  if (line.empty() || line.front() != '/') return {};
  std::string_view rest = line.substr(1);
  const auto space = rest.find_first_of(" \t");
  const std::string_view name = rest.substr(0, space);
  const std::string_view arg = space == std::string_view::npos ? std::string_view{} : trim(rest.substr(space));

  const auto no_argument = [&](command_kind kind) {
    return arg.empty() ? command{kind, 0, name} : command{command_kind::bad_argument, 0, name};
  };
  if (name == "quit") return no_argument(command_kind::quit);
  if (name == "ping") return no_argument(command_kind::ping);
  if (name == "stats") return no_argument(command_kind::stats);
  if (name == "help") return no_argument(command_kind::help);
  if (name == "bulk") {
    std::uint64_t n = 0;
    const auto [end, ec] = std::from_chars(arg.data(), arg.data() + arg.size(), n);
    if (arg.empty() || ec != std::errc{} || end != arg.data() + arg.size() || n > max_bulk_bytes)
      return {command_kind::bad_argument, 0, name};
    return {command_kind::bulk, n, name};
  }
  return {command_kind::unknown, 0, name};
}

std::string_view help_text() noexcept {
  return "closenotify/1 commands:\n"
         "  /quit      the server answers BYE and closes the connection (close_notify)\n"
         "  /ping      answers PONG\n"
         "  /stats     one JSON line of the server's counters\n"
         "  /bulk N    N bytes of deterministic data, then a line SHA256 <hex>\n"
         "  /help      this text\n"
         "any other line is echoed back\n";
}

}  // namespace closenotify
