// The closenotify/1 line protocol's commands, parsed without I/O.
#pragma once

#include <cstdint>
#include <string_view>

namespace closenotify {

enum class command_kind { echo, quit, ping, stats, bulk, help, unknown, bad_argument };

struct command {
  command_kind kind = command_kind::echo;
  std::uint64_t bulk_bytes = 0;  // for bulk
  std::string_view name;         // the word after '/', for unknown and bad_argument
};

// Largest /bulk the server accepts: 1 TiB keeps a typo from meaning "forever".
inline constexpr std::uint64_t max_bulk_bytes = std::uint64_t{1} << 40;

command parse_command(std::string_view line) noexcept;

// Lines the server sends for /help.
std::string_view help_text() noexcept;

}  // namespace closenotify
