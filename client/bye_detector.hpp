// Spots the line protocol's goodbye in what the server sends, across reads: a line that is
// "BYE" or starts with "BYE " (BYE shutting-down, BYE idle-timeout), LF or CR LF ended.
// After it, the server owes us nothing more: a TCP end without close_notify is then normal.
#pragma once

#include <string>
#include <string_view>

namespace closenotify::cli {

class bye_detector {
 public:
  // True once a BYE line has been seen complete (in these bytes or earlier ones).
  bool feed(std::string_view data) {
    while (!seen_ && !data.empty()) {
      const auto nl = data.find('\n');
      const std::string_view part = data.substr(0, nl);
      if (head_.size() < 4) head_.append(part.substr(0, 4 - head_.size()));
      if (nl == std::string_view::npos) break;
      seen_ = head_.starts_with("BYE") && (head_.size() == 3 || head_[3] == ' ' || head_[3] == '\r');
      head_.clear();
      data.remove_prefix(nl + 1);
    }
    return seen_;
  }

 private:
  std::string head_;  // the first bytes of the line being received
  bool seen_ = false;
};

}  // namespace closenotify::cli
