#include "cli_options.hpp"

#include <sstream>

#include <boost/algorithm/string/split.hpp>
#include <boost/program_options.hpp>

#include "closenotify/config_parse.hpp"
#include "closenotify/exit_code.hpp"

namespace closenotify::cli {

namespace po = boost::program_options;

namespace {
// A command line that asks for something impossible; answered with exit code 2.
using usage_error = std::invalid_argument;

std::chrono::milliseconds duration_option(const po::variables_map& vm, const char* name) {
  return require_duration(name, vm[name].as<std::string>());
}
}  // namespace

std::variant<cli_config, options_exit> parse_options(int argc, const char* const argv[]) {
  cli_config config;
  po::options_description desc(
      "closenotify-cli: a TLS client for the terminal and for pipes that verifies by default,\n"
      "passes bytes faithfully and ends every connection with a clean close.\n\n"
      "Usage: closenotify-cli [options] HOST[:PORT]     (default port 4433)\n\n"
      "  interactive when stdin is a terminal: type lines; /quit, Ctrl-D or Ctrl-C to end\n"
      "  a pipe otherwise: at the end of input it sends close_notify and still receives\n"
      "  everything the server sends until the server's close_notify (TLS 1.2: once the\n"
      "  server has been quiet for --eof-wait)\n\nOptions");
  // clang-format off
  desc.add_options()
    ("help,h", "show this help and exit")
    ("version", "show the version and exit")
    ("cafile", po::value<std::string>(), "trust the CA certificates in this PEM file (instead of the system store)")
    ("capath", po::value<std::string>(), "trust the CA certificates in this hashed directory")
    ("insecure,k", po::bool_switch(), "do not verify the server's certificate (dangerous)")
    ("sni", po::value<std::string>(), "server name to send and to verify (default: HOST)")
    ("alpn", po::value<std::string>(), "ALPN protocols to offer, comma-separated (default: closenotify/1; none with --raw)")
    ("raw", po::bool_switch(), "a plain byte pipe: offer no ALPN, no line handling")
    ("cert", po::value<std::string>(), "client certificate (PEM) for mTLS")
    ("key", po::value<std::string>(), "private key (PEM) for --cert")
    ("tls-min", po::value<std::string>()->default_value("1.2"), "lowest TLS version: 1.2 or 1.3")
    ("connect-timeout", po::value<std::string>()->default_value("10s"), "deadline for TCP connect plus TLS handshake")
    ("shutdown-timeout", po::value<std::string>()->default_value("5s"), "once closing: how long the server gets to take our last bytes, and after our close_notify how long it may be silent before its own")
    ("idle-timeout", po::value<std::string>()->default_value("0"), "close when nothing moved for this long (0: never)")
    ("eof-wait", po::value<std::string>()->default_value("1s"), "TLS 1.2 only (it has no half-close): after the end of input, how long the server must be quiet before our close_notify")
    ("quiet,q", po::bool_switch(), "no status lines on stderr (errors still show)")
    ("json", po::bool_switch(), "at exit, one JSON object on stderr describing the connection");
  po::options_description hidden;
  hidden.add_options()("target", po::value<std::string>(), "");
  // clang-format on
  po::positional_options_description positional;
  positional.add("target", 1);
  po::options_description all;
  all.add(desc).add(hidden);

  try {
    po::variables_map vm;
    po::store(po::command_line_parser(argc, argv).options(all).positional(positional).run(), vm);
    po::notify(vm);
    if (vm.count("help")) {
      std::ostringstream out;
      out << desc << "\n" << exit_code_table();
      return options_exit{0, out.str()};
    }
    if (vm.count("version")) return options_exit{0, "closenotify-cli 0.1.0\n"};
    if (!vm.count("target")) throw usage_error("which server? give HOST[:PORT]");
    const auto target = parse_host_port(vm["target"].as<std::string>(), 4433);
    if (!target) throw usage_error("'" + vm["target"].as<std::string>() + "' is not HOST[:PORT]");
    config.host = target->host;
    config.port = target->port;
    config.sni = vm.count("sni") ? vm["sni"].as<std::string>() : config.host;

    config.tls.verify_peer = !vm["insecure"].as<bool>();
    if (vm.count("cafile")) config.tls.ca_file = vm["cafile"].as<std::string>();
    if (vm.count("capath")) config.tls.ca_path = vm["capath"].as<std::string>();
    if (!config.tls.verify_peer && (vm.count("cafile") || vm.count("capath")))
      throw usage_error("--insecure turns verification off; it makes no sense with --cafile/--capath");
    if (vm.count("cert") != vm.count("key")) throw usage_error("--cert and --key go together");
    if (vm.count("cert")) {
      config.tls.cert_file = vm["cert"].as<std::string>();
      config.tls.key_file = vm["key"].as<std::string>();
    }
    const auto tls_min = vm["tls-min"].as<std::string>();
    if (tls_min != "1.2" && tls_min != "1.3") throw usage_error("--tls-min: 1.2 or 1.3");
    config.tls.min_version = tls_min == "1.3" ? 13 : 12;

    config.raw = vm["raw"].as<bool>();
    if (vm.count("alpn")) {
      std::vector<std::string> names;
      boost::algorithm::split(names, vm["alpn"].as<std::string>(), [](char c) { return c == ','; });
      for (const auto& n : names)
        if (n.empty() || n.size() > 255) throw usage_error("--alpn: comma-separated names of 1 to 255 bytes");
      config.tls.alpn = names;
    } else if (!config.raw) {
      config.tls.alpn = {"closenotify/1"};
    }
    config.connect_timeout = duration_option(vm, "connect-timeout");
    config.shutdown_timeout = duration_option(vm, "shutdown-timeout");
    config.idle_timeout = duration_option(vm, "idle-timeout");
    config.eof_wait = duration_option(vm, "eof-wait");
    if (config.connect_timeout.count() == 0 || config.shutdown_timeout.count() == 0)
      throw usage_error("--connect-timeout and --shutdown-timeout must be greater than zero");
    config.quiet = vm["quiet"].as<bool>();
    config.json = vm["json"].as<bool>();
  } catch (const usage_error& e) {
    return options_exit{exit_usage, std::string("closenotify-cli: ") + e.what() + "\nTry 'closenotify-cli --help'.\n"};
  } catch (const po::error& e) {
    return options_exit{exit_usage, std::string("closenotify-cli: ") + e.what() + "\nTry 'closenotify-cli --help'.\n"};
  }
  return config;
}

}  // namespace closenotify::cli
