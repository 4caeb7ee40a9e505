// Parsing of the option values both programs share: durations and HOST:PORT.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace closenotify {

// "250ms", "5s", "2m", "1h", or a bare number of seconds ("10", "0.5").
std::optional<std::chrono::milliseconds> parse_duration(std::string_view text) noexcept;

// For option parsers: the duration, or std::invalid_argument with a message naming the option.
std::chrono::milliseconds require_duration(std::string_view option, std::string_view text);

// A duration as the options take it, for messages: "5s", "250ms".
std::string format_duration(std::chrono::milliseconds d);

struct host_port {
  std::string host;  // without brackets for IPv6
  std::uint16_t port = 0;
};

// "host:port", "[v6]:port", "host" (default port), "[v6]"; nullopt when malformed.
std::optional<host_port> parse_host_port(std::string_view text, std::uint16_t default_port) noexcept;

}  // namespace closenotify
