// Structured logging on spdlog: every line is an event name with key=value fields, printed
// as text for people or as one JSON object per line for machines (and for our tests).
#pragma once

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <span>
#include <string_view>
#include <variant>

namespace closenotify {

enum class log_format { text, json };
enum class log_level { trace, debug, info, warn, error, off };

std::optional<log_format> parse_log_format(std::string_view text) noexcept;
std::optional<log_level> parse_log_level(std::string_view text) noexcept;

// Sets the process-wide logger (stderr). Safe to call again; the last call wins.
void init_logging(log_format format, log_level level);

bool log_enabled(log_level level) noexcept;

using log_value = std::variant<std::string_view, std::uint64_t, std::int64_t, double, bool>;
struct log_field {
  std::string_view key;
  log_value value;
};

void log_event(log_level level, std::string_view event, std::span<const log_field> fields);
inline void log_event(log_level level, std::string_view event, std::initializer_list<log_field> fields = {}) {
  log_event(level, event, std::span<const log_field>(fields.begin(), fields.size()));
}

}  // namespace closenotify
