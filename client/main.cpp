#include <csignal>
#include <cstdio>
#include <stdexcept>

#include "cli_options.hpp"
#include "client.hpp"
#include "closenotify/exit_code.hpp"

int main(int argc, char* argv[]) {
  using namespace closenotify::cli;
  using closenotify::exit_usage;
  // Writing to a closed stdout or a reset socket must be an error code, never a death.
  std::signal(SIGPIPE, SIG_IGN);
  auto parsed = parse_options(argc, argv);
  if (auto* done = std::get_if<options_exit>(&parsed)) {
    std::fputs(done->message.c_str(), done->code == 0 ? stdout : stderr);
    return done->code;
  }
  try {
    return run_client(std::get<cli_config>(parsed));
  } catch (const std::runtime_error& e) {
    // Unusable --cafile, --cert, --key: the command line asked for something that is not there.
    std::fprintf(stderr, "closenotify-cli: %s\n", e.what());
    return exit_usage;
  }
}
