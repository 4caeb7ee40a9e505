#include "server_process.hpp"

#include <unistd.h>

#include <atomic>
#include <csignal>
#include <fstream>
#include <sstream>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/test/unit_test.hpp>

namespace closenotify::test {

namespace {
std::optional<event> parse_event(const std::string& line) {
  if (line.empty() || line.front() != '{') return std::nullopt;
  boost::system::error_code ec;
  auto v = boost::json::parse(line, ec);
  if (ec || !v.is_object()) return std::nullopt;
  return v.as_object();
}

std::size_t status_kib(pid_t pid, std::string_view field) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(in, line);)
    if (line.rfind(field, 0) == 0) return std::stoul(line.substr(field.size()));
  return 0;
}

bool has_event(const captured& c, std::string_view name, const std::function<bool(const event&)>& pred,
               event* found = nullptr) {
  for (const auto& line : c.err_lines) {
    if (line.find(name) == std::string::npos) continue;
    auto e = parse_event(line);
    if (e && event_string(*e, "event") == name && pred(*e)) {
      if (found) *found = *e;
      return true;
    }
  }
  return false;
}
}  // namespace

std::string server_binary() { return CLOSENOTIFY_SERVER_BIN; }

std::string event_string(const event& e, std::string_view key) {
  const auto* v = e.if_contains(key);
  return v && v->is_string() ? std::string(v->as_string()) : std::string();
}

std::uint64_t event_number(const event& e, std::string_view key) {
  const auto* v = e.if_contains(key);
  if (!v) return 0;
  if (v->is_uint64()) return v->as_uint64();
  if (v->is_int64()) return static_cast<std::uint64_t>(v->as_int64());
  return 0;
}

server_process::server_process(std::vector<std::string> args, std::optional<unsigned long> max_files) {
  static std::atomic<int> counter{0};
  dir_ = std::filesystem::temp_directory_path() /
         ("closenotify-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
  std::filesystem::create_directories(dir_);
  child_options child;
  child.argv = {server_binary(), "--listen", "127.0.0.1:0", "--log-format", "json", "--log-level", "debug"};
  bool has_cert = false, has_threads = false;
  for (const auto& a : args) {
    has_cert = has_cert || a == "--cert";
    has_threads = has_threads || a == "--threads";
  }
  if (!has_threads) child.argv.insert(child.argv.end(), {"--threads", "2"});
  if (!has_cert) {
    cert_path_ = (dir_ / "server-cert.pem").string();
    child.argv.insert(child.argv.end(), {"--cert-out", cert_path_});
  }
  child.argv.insert(child.argv.end(), args.begin(), args.end());
  child.max_files = max_files;
  child_ = std::make_unique<child_process>(std::move(child));

  event listening;
  const bool up = child_->wait_for(
      [&](const captured& c) { return c.err_closed || has_event(c, "listening", [](const event&) { return true; }, &listening); },
      30s);
  BOOST_REQUIRE_MESSAGE(up && !listening.empty(), "the server did not start:\n" + stderr_text());
  port_ = static_cast<std::uint16_t>(event_number(listening, "port"));
  fingerprint_ = event_string(listening, "fingerprint_sha256");
}

server_process::~server_process() {
  child_.reset();
  std::error_code ignored;
  std::filesystem::remove_all(dir_, ignored);
}

std::vector<event> server_process::events() const {
  const captured c = child_->snapshot();
  std::vector<event> out;
  for (const auto& line : c.err_lines)
    if (auto e = parse_event(line)) out.push_back(std::move(*e));
  return out;
}

std::string server_process::stderr_text() const { return child_->snapshot().err; }

event server_process::wait_event(std::string_view name, const std::function<bool(const event&)>& pred,
                                 std::chrono::milliseconds timeout) const {
  event found;
  const bool ok = child_->wait_for([&](const captured& c) { return has_event(c, name, pred, &found); }, timeout);
  BOOST_REQUIRE_MESSAGE(ok, "no '" + std::string(name) + "' event in time; server log:\n" + stderr_text());
  return found;
}

event server_process::wait_close(std::uint16_t local_port, std::chrono::milliseconds timeout) const {
  const std::string peer = "127.0.0.1:" + std::to_string(local_port);
  return wait_event("close", [&](const event& e) { return event_string(e, "peer") == peer; }, timeout);
}

std::vector<event> server_process::wait_closes(std::size_t count, std::chrono::milliseconds timeout) const {
  std::size_t seen = 0;
  const bool ok = child_->wait_for(
      [&](const captured& c) {
        seen = 0;
        for (const auto& line : c.err_lines) seen += line.find(R"("event":"close")") != std::string::npos;
        return seen >= count;
      },
      timeout);
  BOOST_REQUIRE_MESSAGE(ok, "only " + std::to_string(seen) + " of " + std::to_string(count) + " close events in time");
  std::vector<event> closes;
  for (auto& e : events())
    if (event_string(e, "event") == "close") closes.push_back(std::move(e));
  return closes;
}

int server_process::stop(std::chrono::milliseconds timeout) {
  child_->send_signal(SIGTERM);
  return wait_exit(timeout);
}

int server_process::wait_exit(std::chrono::milliseconds timeout) {
  const auto status = child_->wait_exit(timeout);
  BOOST_REQUIRE_MESSAGE(status.has_value(), "the server did not exit in time; log:\n" + stderr_text());
  if (*status != 0) BOOST_TEST_MESSAGE("server log:\n" + stderr_text());
  return *status;
}

event server_process::summary() const {
  return wait_event("summary", [](const event&) { return true; }, 5s);
}

std::size_t server_process::open_fds() const {
  std::size_t n = 0;
  for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator("/proc/" + std::to_string(pid()) + "/fd")) ++n;
  return n;
}

std::size_t server_process::rss_kib() const { return status_kib(pid(), "VmRSS:"); }
std::size_t server_process::peak_rss_kib() const { return status_kib(pid(), "VmHWM:"); }

}  // namespace closenotify::test
