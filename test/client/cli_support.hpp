// Running closenotify-cli, and the real peers it meets, in tests.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <boost/json/object.hpp>

#include "child_process.hpp"
#include "closenotify/asio.hpp"

namespace closenotify::test {

std::string cli_binary();

// closenotify-cli argv: the binary, then args.
std::vector<std::string> cli(std::vector<std::string> args);

// Waits until the client reports the connection established (its status line).
bool client_connected(const child_process& client, std::chrono::milliseconds timeout = std::chrono::seconds(20));

// A port nothing listens on (bound, then released).
std::uint16_t free_port();

// A temporary folder with an ephemeral localhost certificate and key, removed at the end.
struct cert_dir {
  cert_dir();
  ~cert_dir();
  std::filesystem::path dir;
  std::string cert, key;
};

// `openssl s_server -state` (the seed's peer), driven through its stdin.
struct s_server {
  s_server();
  cert_dir certs;
  std::uint16_t port;
  std::unique_ptr<child_process> process;
  std::string output() const { return process->snapshot().out; }
};

bool has_error_line(const std::string& text);

// scripted_web_server.py MODE (wss:// and https:// peers on python3-websockets, or hand-written
// where they must misbehave): one connection, then one JSON line saying what it saw.
struct scripted_web_server {
  explicit scripted_web_server(const std::string& mode);
  boost::json::object report();  // once it has exited
  cert_dir certs;
  child_process process;
  std::uint16_t port = 0;
};

}  // namespace closenotify::test
