#include "closenotify/log.hpp"

#include <string>

#include <boost/json/serialize.hpp>
#include <boost/json/string.hpp>
#include <fmt/format.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

namespace closenotify {

namespace {
log_format current_format = log_format::text;

spdlog::level::level_enum to_spdlog(log_level level) noexcept {
  switch (level) {
    case log_level::trace: return spdlog::level::trace;
    case log_level::debug: return spdlog::level::debug;
    case log_level::info: return spdlog::level::info;
    case log_level::warn: return spdlog::level::warn;
    case log_level::error: return spdlog::level::err;
    case log_level::off: return spdlog::level::off;
  }
  return spdlog::level::info;
}

void append_json_string(std::string& out, std::string_view s) {
  out += boost::json::serialize(boost::json::string(s));
}

bool needs_quotes(std::string_view s) noexcept {
  if (s.empty()) return true;
  for (char c : s)
    if (c == ' ' || c == '"' || c == '=' || static_cast<unsigned char>(c) < 0x20) return true;
  return false;
}

void append_value(std::string& out, const log_value& value, bool json) {
  std::visit(
      [&](const auto& v) {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, std::string_view>) {
          if (json || needs_quotes(v)) append_json_string(out, v);
          else out += v;
        } else if constexpr (std::is_same_v<T, bool>) {
          out += v ? "true" : "false";
        } else {
          fmt::format_to(std::back_inserter(out), "{}", v);
        }
      },
      value);
}
}  // namespace

std::optional<log_format> parse_log_format(std::string_view text) noexcept {
  if (text == "text") return log_format::text;
  if (text == "json") return log_format::json;
  return std::nullopt;
}

std::optional<log_level> parse_log_level(std::string_view text) noexcept {
  if (text == "trace") return log_level::trace;
  if (text == "debug") return log_level::debug;
  if (text == "info") return log_level::info;
  if (text == "warn" || text == "warning") return log_level::warn;
  if (text == "error") return log_level::error;
  if (text == "off") return log_level::off;
  return std::nullopt;
}

void init_logging(log_format format, log_level level) {
  auto logger = std::make_shared<spdlog::logger>("closenotify", std::make_shared<spdlog::sinks::stderr_sink_mt>());
  // The JSON pattern wraps the fields this file renders: one object per line.
  logger->set_pattern(format == log_format::json ? R"({"ts":"%Y-%m-%dT%H:%M:%S.%fZ","level":"%l",%v})"
                                                 : "%Y-%m-%dT%H:%M:%S.%eZ %-5l %v",
                      spdlog::pattern_time_type::utc);
  logger->set_level(to_spdlog(level));
  logger->flush_on(spdlog::level::trace);
  spdlog::set_default_logger(std::move(logger));
  current_format = format;
}

bool log_enabled(log_level level) noexcept { return spdlog::default_logger_raw()->should_log(to_spdlog(level)); }

void log_event(log_level level, std::string_view event, std::span<const log_field> fields) {
  if (!log_enabled(level)) return;
  const bool json = current_format == log_format::json;
  std::string line;
  line.reserve(128);
  if (json) {
    line += R"("event":)";
    append_json_string(line, event);
  } else {
    line += event;
  }
  for (const auto& field : fields) {
    if (json) {
      line += ',';
      append_json_string(line, field.key);
      line += ':';
    } else {
      line += ' ';
      line += field.key;
      line += '=';
    }
    append_value(line, field.value, json);
  }
  spdlog::default_logger_raw()->log(to_spdlog(level), std::string_view(line));
}

}  // namespace closenotify
