#include "options.hpp"

#include <sstream>
#include <thread>

#include <boost/program_options.hpp>

#include "closenotify/config_parse.hpp"

namespace closenotify::server {

namespace po = boost::program_options;

namespace {
// A command line that asks for something impossible; answered with exit code 2.
using usage_error = std::invalid_argument;

std::chrono::milliseconds duration_option(const po::variables_map& vm, const char* name) {
  return require_duration(name, vm[name].as<std::string>());
}
}  // namespace

std::variant<server_config, options_exit> parse_options(int argc, const char* const argv[]) {
  server_config config;
  const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  po::options_description desc(
      "closenotify-server: a TLS echo, line-protocol, HTTPS and WebSocket server that closes every connection correctly.\n\n"
      "Usage: closenotify-server [options]\n\nOptions");
  // clang-format off
  desc.add_options()
    ("help,h", "show this help and exit")
    ("version", "show the version and exit")
    ("listen,l", po::value<std::string>()->default_value("127.0.0.1:4433"), "HOST:PORT to listen on ([v6]:port for IPv6; port 0 picks one)")
    ("cert", po::value<std::string>(), "certificate chain (PEM); without --cert/--key an ephemeral self-signed certificate for localhost is made")
    ("key", po::value<std::string>(), "private key (PEM) for --cert")
    ("cert-out", po::value<std::string>(), "write the ephemeral certificate (PEM) here, for clients to trust")
    ("client-ca", po::value<std::string>(), "CA file (PEM) that client certificates are verified against")
    ("require-client-cert", po::bool_switch(), "mTLS: refuse clients without a valid certificate (needs --client-ca)")
    ("session-tickets", po::value<unsigned>()->default_value(0), "TLS session tickets per handshake, for clients that resume (0: none; each costs the server about a tenth of a handshake)")
    ("threads", po::value<unsigned>()->default_value(cores), "worker threads, each with its own event loop")
    ("max-connections", po::value<std::size_t>()->default_value(0), "most connections at once; beyond it, new ones wait in the backlog (0: no limit)")
    ("handshake-timeout", po::value<std::string>()->default_value("10s"), "deadline for the TLS handshake")
    ("idle-timeout", po::value<std::string>()->default_value("300s"), "close a connection where nothing moved for this long")
    ("write-timeout", po::value<std::string>()->default_value("30s"), "close a connection whose writes make no progress for this long")
    ("shutdown-timeout", po::value<std::string>()->default_value("5s"), "how long to wait for the peer's close_notify")
    ("linger-timeout", po::value<std::string>()->default_value("2s"), "how long to drain input after our FIN before closing")
    ("drain-timeout", po::value<std::string>()->default_value("10s"), "on SIGINT/SIGTERM, how long sessions get to close before they are cut")
    ("max-line", po::value<std::size_t>()->default_value(64 * 1024), "longest line of the closenotify/1 protocol, in bytes")
    ("max-header-size", po::value<std::size_t>()->default_value(8 * 1024), "HTTP: largest request header, in bytes (431 beyond)")
    ("max-body-size", po::value<std::uint64_t>()->default_value(64 * 1024), "HTTP: largest request body, in bytes (413 beyond, from Content-Length)")
    ("header-timeout", po::value<std::string>()->default_value("20s"), "HTTP: a request must be whole this long after its first byte (408 beyond)")
    ("keepalive-timeout", po::value<std::string>()->default_value("75s"), "HTTP: how long a keep-alive connection may wait for its next request")
    ("max-requests", po::value<unsigned>()->default_value(1000), "HTTP: requests per connection; the last is answered with Connection: close")
    ("ws-max-message", po::value<std::size_t>()->default_value(1024 * 1024), "WebSocket: largest message, in bytes (close 1009 beyond)")
    ("ws-ping-interval", po::value<std::string>()->default_value("30s"), "WebSocket: ping after this long without input; close (1001) after as long again without an answer")
    ("log-level", po::value<std::string>()->default_value("info"), "trace, debug, info, warn, error or off")
    ("log-format", po::value<std::string>()->default_value("text"), "text or json (one object per line)");
  // clang-format on

  try {
    po::variables_map vm;
    po::store(po::command_line_parser(argc, argv).options(desc).run(), vm);
    po::notify(vm);
    if (vm.count("help")) {
      std::ostringstream out;
      out << desc << "\nExit codes: 0 drained cleanly, 1 start-up failure, 2 usage error, 3 the drain deadline cut sessions.\n";
      return options_exit{0, out.str()};
    }
    if (vm.count("version")) return options_exit{0, "closenotify-server 0.1.0\n"};

    const auto listen = parse_host_port(vm["listen"].as<std::string>(), 4433);
    if (!listen) throw usage_error("--listen: '" + vm["listen"].as<std::string>() + "' is not HOST:PORT");
    config.host = listen->host;
    config.port = listen->port;

    if (vm.count("cert") != vm.count("key")) throw usage_error("--cert and --key go together");
    if (vm.count("cert")) {
      config.cert_file = vm["cert"].as<std::string>();
      config.key_file = vm["key"].as<std::string>();
      if (vm.count("cert-out")) throw usage_error("--cert-out writes the ephemeral certificate; it makes no sense with --cert");
    }
    if (vm.count("cert-out")) config.cert_out = vm["cert-out"].as<std::string>();
    if (vm.count("client-ca")) config.client_ca_file = vm["client-ca"].as<std::string>();
    config.require_client_cert = vm["require-client-cert"].as<bool>();
    if (config.require_client_cert && config.client_ca_file.empty())
      throw usage_error("--require-client-cert needs --client-ca");

    config.session_tickets = vm["session-tickets"].as<unsigned>();
    if (config.session_tickets > 16) throw usage_error("--session-tickets: 0 to 16");
    config.threads = vm["threads"].as<unsigned>();
    if (config.threads == 0 || config.threads > 1024) throw usage_error("--threads: 1 to 1024");
    config.max_connections = vm["max-connections"].as<std::size_t>();

    auto& deadlines = config.session.deadlines;
    deadlines.handshake = duration_option(vm, "handshake-timeout");
    deadlines.idle = duration_option(vm, "idle-timeout");
    deadlines.write = duration_option(vm, "write-timeout");
    deadlines.shutdown = duration_option(vm, "shutdown-timeout");
    deadlines.linger = duration_option(vm, "linger-timeout");
    config.drain_timeout = duration_option(vm, "drain-timeout");
    for (auto d : {deadlines.handshake, deadlines.idle, deadlines.write})
      if (d.count() == 0) throw usage_error("timeouts must be greater than zero");

    auto& http = config.session.http;
    http.max_header = vm["max-header-size"].as<std::size_t>();
    http.max_body = vm["max-body-size"].as<std::uint64_t>();
    http.header_timeout = duration_option(vm, "header-timeout");
    http.keepalive_timeout = duration_option(vm, "keepalive-timeout");
    http.max_requests = vm["max-requests"].as<unsigned>();
    if (http.max_header < 256 || http.max_header > 1024 * 1024) throw usage_error("--max-header-size: 256 bytes to 1 MiB");
    if (http.header_timeout.count() == 0 || http.keepalive_timeout.count() == 0)
      throw usage_error("--header-timeout and --keepalive-timeout must be greater than zero");
    if (http.max_requests == 0) throw usage_error("--max-requests: at least 1");
    auto& websocket = config.session.websocket;
    websocket.max_message = vm["ws-max-message"].as<std::size_t>();
    websocket.ping_interval = duration_option(vm, "ws-ping-interval");
    if (websocket.max_message < 125 || websocket.max_message > 1024 * 1024 * 1024)
      throw usage_error("--ws-max-message: 125 bytes to 1 GiB");
    if (websocket.ping_interval.count() == 0) throw usage_error("--ws-ping-interval must be greater than zero");
    config.session.max_line = vm["max-line"].as<std::size_t>();
    if (config.session.max_line < 16 || config.session.max_line > 16 * 1024 * 1024)
      throw usage_error("--max-line: 16 bytes to 16 MiB");

    const auto level = parse_log_level(vm["log-level"].as<std::string>());
    if (!level) throw usage_error("--log-level: trace, debug, info, warn, error or off");
    config.level = *level;
    const auto format = parse_log_format(vm["log-format"].as<std::string>());
    if (!format) throw usage_error("--log-format: text or json");
    config.format = *format;
  } catch (const usage_error& e) {
    return options_exit{2, std::string("closenotify-server: ") + e.what() + "\nTry 'closenotify-server --help'.\n"};
  } catch (const po::error& e) {
    return options_exit{2, std::string("closenotify-server: ") + e.what() + "\nTry 'closenotify-server --help'.\n"};
  }
  return config;
}

}  // namespace closenotify::server
