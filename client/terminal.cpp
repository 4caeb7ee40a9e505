#include "terminal.hpp"

#include <unistd.h>

#include <cstdio>

namespace closenotify::cli {

terminal::terminal(bool quiet) : quiet_(quiet), interactive_(::isatty(STDIN_FILENO) == 1) {}

void terminal::status(std::string_view text) const {
  if (!quiet_) std::fprintf(stderr, "* %.*s\n", static_cast<int>(text.size()), text.data());
}

void terminal::complain(std::string_view text) {
  std::fprintf(stderr, "closenotify-cli: %.*s\n", static_cast<int>(text.size()), text.data());
}

void terminal::prompt() const {
  if (interactive_ && !quiet_) std::fputs("> ", stderr);
}

void terminal::received(std::string_view data) {
  if (awaiting_reply_ && !data.empty() && data.back() == '\n') {
    awaiting_reply_ = false;
    prompt();
  }
}

}  // namespace closenotify::cli
