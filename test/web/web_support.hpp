// What both web test files use: a program run to its end, and a substring check.
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "child_process.hpp"

namespace closenotify::test {

struct finished {
  int status;
  captured output;
};

// Runs argv with `input` on its stdin (then closed); fails the test if it outlives `limit`.
finished run_to_exit(std::vector<std::string> argv, const std::string& input = {},
                     std::chrono::milliseconds limit = std::chrono::seconds(150));

inline bool contains(std::string_view text, std::string_view part) { return text.find(part) != std::string_view::npos; }

}  // namespace closenotify::test
