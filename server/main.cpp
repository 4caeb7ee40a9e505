#include <csignal>
#include <cstdio>
#include <exception>

#include "closenotify/log.hpp"
#include "closenotify/record_buffer_cache.hpp"
#include "options.hpp"
#include "server.hpp"

int main(int argc, char* argv[]) {
  using namespace closenotify;
  const bool buffer_cache = install_record_buffer_cache();  // before OpenSSL allocates anything
  // A write to a peer that has gone must be an error code, not a fatal signal (seed 002).
  std::signal(SIGPIPE, SIG_IGN);

  auto parsed = server::parse_options(argc, argv);
  if (auto* done = std::get_if<server::options_exit>(&parsed)) {
    std::fputs(done->message.c_str(), done->code == 0 ? stdout : stderr);
    return done->code;
  }
  const auto& config = std::get<server::server_config>(parsed);
  init_logging(config.format, config.level);
  log_event(log_level::debug, "record_buffer_cache", {{"installed", buffer_cache}});
  try {
    server::server srv(config);
    return srv.run();
  } catch (const std::exception& e) {
    log_event(log_level::error, "fatal", {{"error", std::string_view(e.what())}});
    return server::exit_failure;
  }
}
