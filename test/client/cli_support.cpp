#include "cli_support.hpp"

#include <unistd.h>

#include <atomic>
#include <fstream>

#include <boost/json/parse.hpp>
#include <boost/test/unit_test.hpp>

#include "closenotify/self_signed_cert.hpp"

namespace closenotify::test {

using namespace std::chrono_literals;

std::string cli_binary() { return CLOSENOTIFY_CLI_BIN; }

std::vector<std::string> cli(std::vector<std::string> args) {
  args.insert(args.begin(), cli_binary());
  return args;
}

bool client_connected(const child_process& client, std::chrono::milliseconds timeout) {
  return client.wait_for([](const captured& c) { return c.err.find("* connected to") != std::string::npos; }, timeout);
}

std::uint16_t free_port() {
  asio::io_context ioc;
  tcp::acceptor a(ioc, {asio::ip::make_address("127.0.0.1"), 0});
  return a.local_endpoint().port();
}

cert_dir::cert_dir() {
  static std::atomic<int> counter{0};
  dir = std::filesystem::temp_directory_path() /
        ("closenotify-certs-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
  std::filesystem::create_directories(dir);
  const auto pem = make_localhost_certificate();
  cert = (dir / "cert.pem").string();
  key = (dir / "key.pem").string();
  std::ofstream(cert) << pem.cert;
  std::ofstream(key) << pem.key;
}

cert_dir::~cert_dir() {
  std::error_code ignored;
  std::filesystem::remove_all(dir, ignored);
}

s_server::s_server() : port(free_port()) {
  auto options = piped({"openssl", "s_server", "-accept", "127.0.0.1:" + std::to_string(port), "-cert", certs.cert,
                        "-key", certs.key, "-state"});
  options.merge_stderr = true;
  process = std::make_unique<child_process>(std::move(options));
  BOOST_REQUIRE_MESSAGE(
      process->wait_for([](const captured& c) { return c.out.find("ACCEPT") != std::string::npos; }, 20s),
      "openssl s_server did not start: " + process->snapshot().out);
}

bool has_error_line(const std::string& text) {
  for (std::size_t start = 0; start < text.size();) {
    auto end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    std::string line = text.substr(start, end - start);
    for (auto& ch : line) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    if (line.find("error") != std::string::npos || line.find("errno") != std::string::npos ||
        line.find("bad record mac") != std::string::npos || line.find("decryption failed") != std::string::npos)
      return true;
    start = end + 1;
  }
  return false;
}

scripted_web_server::scripted_web_server(const std::string& mode)
    : process(piped({"/usr/bin/python3", CLOSENOTIFY_SCRIPTED_WEB_SERVER, mode, certs.cert, certs.key})) {
  BOOST_REQUIRE(process.wait_for([](const captured& c) { return c.out.find('\n') != std::string::npos; }, 20s));
  const auto first = process.snapshot().out;
  port = static_cast<std::uint16_t>(boost::json::parse(first.substr(0, first.find('\n'))).at("port").as_int64());
}

boost::json::object scripted_web_server::report() {
  BOOST_REQUIRE_EQUAL(process.wait_exit(40s).value_or(-1), 0);
  process.wait_for([](const captured& c) { return c.out_closed; }, 10s);
  const auto out = process.snapshot().out;
  const auto start = out.find('\n') + 1;
  return boost::json::parse(out.substr(start, out.find('\n', start) - start)).as_object();
}

}  // namespace closenotify::test
