// The server's counters in the Prometheus text exposition format 0.0.4: counters end in
// _total, sizes are in bytes, each family has one HELP and one TYPE line.
#pragma once

#include <string>
#include <string_view>

#include "closenotify/counters.hpp"

namespace closenotify {

inline constexpr std::string_view prometheus_content_type = "text/plain; version=0.0.4; charset=utf-8";

std::string prometheus_text(const counters_snapshot& counts, bool draining);

}  // namespace closenotify
