// What a person at the keyboard sees on stderr: status lines ("* ..."), the prompt, and
// complaints ("closenotify-cli: ..."). Received data never goes here (stdout_sink).
#pragma once

#include <string_view>

namespace closenotify::cli {

class terminal {
 public:
  explicit terminal(bool quiet);

  bool interactive() const noexcept { return interactive_; }
  void status(std::string_view text) const;             // unless --quiet
  static void complain(std::string_view text);          // always
  void prompt() const;                                  // interactive only
  void sent() noexcept { awaiting_reply_ = interactive_; }
  // A prompt follows the answer to what was typed, once a line of it has come.
  void received(std::string_view data);

 private:
  bool quiet_;
  bool interactive_;
  bool awaiting_reply_ = false;
};

}  // namespace closenotify::cli
