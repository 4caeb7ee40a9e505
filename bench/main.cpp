// closenotify-bench: a TLS load generator for closenotify-server and the peers it is
// compared with (bench/compare). Progress on stderr, one key=value result line on stdout.
#include <sys/resource.h>

#include <csignal>
#include <cstdio>
#include <iostream>

#include <boost/program_options.hpp>

#include "closenotify/config_parse.hpp"
#include "closenotify/tls_context.hpp"
#include "modes.hpp"

namespace po = boost::program_options;
using namespace closenotify;
using namespace closenotify::bench;

namespace {
std::optional<mode> parse_mode(std::string_view m) {
  if (m == "handshake") return mode::handshake;
  if (m == "bulk") return mode::bulk;
  if (m == "latency") return mode::latency;
  if (m == "idle") return mode::idle;
  if (m == "drain") return mode::drain;
  if (m == "ws-echo") return mode::ws_echo;
  if (m == "ws-hold") return mode::ws_hold;
  return std::nullopt;
}

void raise_descriptor_limit() {
  rlimit lim{};
  if (::getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur < lim.rlim_max) {
    lim.rlim_cur = lim.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &lim);
  }
}

// A progress line once a second on stderr (runs longer than a second show it).
asio::awaitable<void> progress(asio::io_context& ioc, const std::uint64_t& done, const bool& finished) {
  asio::steady_timer tick(ioc);
  for (int second = 1; !finished; ++second) {
    tick.expires_after(std::chrono::seconds(1));
    co_await tick.async_wait(use_nothrow);
    if (!finished) std::fprintf(stderr, "closenotify-bench: %ds, %llu done\n", second, static_cast<unsigned long long>(done));
  }
}
}  // namespace

int main(int argc, char* argv[]) {
  std::signal(SIGPIPE, SIG_IGN);
  bench_config config;
  po::options_description desc(
      "closenotify-bench MODE [options] HOST:PORT\n"
      "  handshake  C workers doing full handshakes (no resumption) and clean closes: handshakes/s, p50/p99\n"
      "  bulk       C connections each sending --bytes while reading the echo, every byte checked: MB/s one way\n"
      "  latency    C connections ping-ponging --message-size bytes through the echo: rps, p50/p99/p999\n"
      "  idle       hold C handshaken connections for --duration, then close them cleanly\n"
      "  drain      hold C connections, SIGTERM --server-pid, count close_notify and time to the last close\n"
      "  ws-echo    C WebSocket connections (wss, --path) each sending a --message-size binary message and\n"
      "             awaiting its echo, again and again: msgs/s, p50/p99/p999\n"
      "  ws-hold    hold C upgraded WebSocket connections idle for --duration, then close them cleanly\n\nOptions");
  // clang-format off
  desc.add_options()
    ("help,h", "show this help")
    ("connections,c", po::value<std::size_t>()->default_value(1), "connections (or workers)")
    ("duration,d", po::value<std::string>()->default_value("5s"), "how long (handshake, latency, idle, ws-echo, ws-hold); drain: how long to wait for the server to end its connections, and then to exit")
    ("bytes,b", po::value<std::uint64_t>()->default_value(64ull << 20), "bulk: bytes per connection, each way")
    ("message-size", po::value<std::size_t>()->default_value(64), "latency, ws-echo: bytes per message")
    ("path", po::value<std::string>()->default_value("/ws"), "ws-echo, ws-hold: the WebSocket's request target")
    ("server-pid", po::value<pid_t>()->default_value(0), "drain: the server process to SIGTERM")
    ("cafile", po::value<std::string>(), "verify the server against this CA (default: no verification)")
    ("quiet,q", po::bool_switch(), "no progress lines");
  po::options_description hidden;
  hidden.add_options()("mode", po::value<std::string>())("target", po::value<std::string>());
  // clang-format on
  po::positional_options_description positional;
  positional.add("mode", 1).add("target", 1);
  po::options_description all;
  all.add(desc).add(hidden);
  try {
    po::variables_map vm;
    po::store(po::command_line_parser(argc, argv).options(all).positional(positional).run(), vm);
    po::notify(vm);
    if (vm.count("help")) {
      std::cout << desc;
      return 0;
    }
    if (!vm.count("mode") || !vm.count("target")) throw std::invalid_argument("give MODE and HOST:PORT");
    const auto m = parse_mode(vm["mode"].as<std::string>());
    if (!m) throw std::invalid_argument("unknown mode " + vm["mode"].as<std::string>());
    config.what = *m;
    const auto target = parse_host_port(vm["target"].as<std::string>(), 4433);
    if (!target) throw std::invalid_argument("'" + vm["target"].as<std::string>() + "' is not HOST:PORT");
    config.host = target->host;
    config.port = target->port;
    config.connections = vm["connections"].as<std::size_t>();
    if (config.connections == 0) throw std::invalid_argument("--connections: at least 1");
    config.duration = require_duration("duration", vm["duration"].as<std::string>());
    config.bytes = vm["bytes"].as<std::uint64_t>();
    config.message_size = std::max<std::size_t>(1, vm["message-size"].as<std::size_t>());
    config.server_pid = vm["server-pid"].as<pid_t>();
    config.ws_path = vm["path"].as<std::string>();
    if (config.ws_path.empty() || config.ws_path.front() != '/') throw std::invalid_argument("--path must start with /");
    if (config.what == mode::drain && config.server_pid <= 0) throw std::invalid_argument("drain needs --server-pid");
    if (vm.count("cafile")) config.cafile = vm["cafile"].as<std::string>();
    config.progress = !vm["quiet"].as<bool>();
  } catch (const std::exception& e) {
    std::cerr << "closenotify-bench: " << e.what() << "\nTry 'closenotify-bench --help'.\n";
    return 2;
  }

  raise_descriptor_limit();
  client_tls_config tls_config;
  tls_config.verify_peer = !config.cafile.empty();
  tls_config.ca_file = config.cafile;
  ssl::context tls = make_client_context(tls_config);
  // Every handshake a full one: no session cache, no tickets kept.
  SSL_CTX_set_session_cache_mode(tls.native_handle(), SSL_SESS_CACHE_OFF);

  asio::io_context ioc(1);
  std::uint64_t done = 0;
  bool finished = false;
  std::string result;
  const bench_env env{ioc, tls, config, done};
  asio::co_spawn(
      ioc,
      [&]() -> asio::awaitable<void> {
        switch (config.what) {
          case mode::handshake: result = co_await run_handshakes(env); break;
          case mode::bulk: result = co_await run_bulk(env); break;
          case mode::latency: result = co_await run_latency(env); break;
          case mode::idle:
          case mode::drain: result = co_await run_hold(env); break;
          case mode::ws_echo: result = co_await run_ws_echo(env); break;
          case mode::ws_hold: result = co_await run_ws_hold(env); break;
        }
        finished = true;
      },
      [&](std::exception_ptr e) {
        finished = true;
        if (e) {
          try {
            std::rethrow_exception(e);
          } catch (const std::exception& ex) {
            result = std::string("error=\"") + ex.what() + "\"";
          }
        }
      });
  if (config.progress) asio::co_spawn(ioc, progress(ioc, done, finished), asio::detached);
  ioc.run();
  std::cout << result << std::endl;
  return result.rfind("mode=", 0) == 0 ? 0 : 1;
}
