#include "cli_options.hpp"

#include <fstream>
#include <iterator>
#include <sstream>

#include <boost/algorithm/string/split.hpp>
#include <boost/program_options.hpp>
#include <boost/url/parse.hpp>

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

// wss://HOST[:PORT]/PATH (RFC 6455 3), parsed by Boost.URL.
void parse_url(const std::string& given, cli_config& config) {
  const auto parsed = boost::urls::parse_uri(given);
  if (!parsed) throw usage_error("'" + given + "' is not a URL: " + parsed.error().message());
  const boost::urls::url_view& url = *parsed;
  const std::string scheme(url.scheme());
  if (scheme == "ws")
    throw usage_error("ws:// is WebSocket without TLS: anyone on the path reads and changes it; use wss://");
  if (scheme == "http") throw usage_error("http:// is not encrypted; use https://");
  if (scheme != "wss" && scheme != "https")
    throw usage_error("'" + scheme + "://' is not supported: give wss://, https:// or HOST[:PORT]");
  const bool websocket = scheme == "wss";
  if (!url.has_authority() || url.host().empty()) throw usage_error("'" + given + "' names no host");
  if (url.has_userinfo()) throw usage_error("'" + given + "': user information in the URL is not supported");
  if (websocket && url.has_fragment()) throw usage_error("'" + given + "': a WebSocket URL has no fragment (RFC 6455 3)");
  config.host = url.host_address();
  config.port = 443;
  if (url.has_port()) {
    if (url.port_number() == 0) throw usage_error("'" + given + "': the port must be 1 to 65535");
    config.port = url.port_number();
  }
  // The request target never carries the fragment (RFC 9110 7.1).
  std::string target = url.encoded_path().empty() ? "/" : std::string(url.encoded_path());
  if (url.has_query()) target += "?" + std::string(url.encoded_query());
  std::string host = std::string(url.encoded_host_and_port());
  if (url.has_port() && config.port == 443) host = std::string(url.encoded_host());
  if (websocket) {
    config.websocket.enabled = true;
    config.websocket.target = std::move(target);
    config.websocket.host = std::move(host);
  } else {
    config.https.enabled = true;
    config.https.target = std::move(target);
    config.https.host = std::move(host);
  }
}

std::vector<std::pair<std::string, std::string>> header_options(const po::variables_map& vm) {
  std::vector<std::pair<std::string, std::string>> headers;
  if (!vm.count("header")) return headers;
  for (const std::string& h : vm["header"].as<std::vector<std::string>>()) {
    const auto colon = h.find(':');
    if (colon == std::string::npos || colon == 0 || h.find_first_of("\r\n") != std::string::npos)
      throw usage_error("--header '" + h + "': give 'Name: value' on one line");
    std::string value = h.substr(colon + 1);
    value.erase(0, value.find_first_not_of(" \t"));
    headers.emplace_back(h.substr(0, colon), value);
  }
  return headers;
}

void parse_https_options(const po::variables_map& vm, cli_config& config) {
  https_config& https = config.https;
  if (!https.enabled) {
    if (vm["include"].as<bool>() || vm.count("data")) throw usage_error("--include and --data are for https:// URLs");
    return;
  }
  if (config.raw) throw usage_error("--raw is for HOST[:PORT]; an https:// URL speaks HTTP");
  https.include = vm["include"].as<bool>();
  https.headers = header_options(vm);
  if (vm.count("data")) {
    https.has_data = true;
    const std::string& data = vm["data"].as<std::string>();
    if (data.starts_with('@')) {
      std::ifstream file(data.substr(1), std::ios::binary);
      if (!file) throw usage_error("--data " + data + ": cannot read " + data.substr(1));
      https.data.assign(std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>());
    } else {
      https.data = data;
    }
  }
}

void parse_websocket_options(const po::variables_map& vm, cli_config& config) {
  websocket_config& ws = config.websocket;
  const bool asked = vm["binary"].as<bool>() || vm["text"].as<bool>() || vm.count("subprotocol") ||
                     vm.count("origin") || !vm["chunk"].defaulted();
  if (!ws.enabled) {
    if (asked) throw usage_error("--binary, --text, --chunk, --subprotocol and --origin are for wss:// URLs");
    if (vm.count("header") && !config.https.enabled) throw usage_error("--header is for wss:// and https:// URLs");
    return;
  }
  if (config.raw) throw usage_error("--raw is for HOST[:PORT]; a wss:// URL speaks WebSocket");
  if (vm["binary"].as<bool>() && vm["text"].as<bool>()) throw usage_error("--binary or --text, not both");
  ws.binary = vm["binary"].as<bool>();
  ws.chunk = vm["chunk"].as<std::size_t>();
  if (ws.chunk == 0 || ws.chunk > 16 * 1024 * 1024) throw usage_error("--chunk: 1 byte to 16 MiB");
  ws.headers = header_options(vm);
  if (vm.count("subprotocol")) ws.subprotocol = vm["subprotocol"].as<std::string>();
  if (vm.count("origin")) ws.origin = vm["origin"].as<std::string>();
}
}  // namespace

std::variant<cli_config, options_exit> parse_options(int argc, const char* const argv[]) {
  cli_config config;
  po::options_description desc(
      "closenotify-cli: a TLS client for the terminal and for pipes that verifies by default,\n"
      "passes bytes faithfully and ends every connection with a clean close.\n\n"
      "Usage: closenotify-cli [options] HOST[:PORT]     (default port 4433)\n"
      "       closenotify-cli [options] wss://HOST[:PORT]/PATH     (default port 443)\n"
      "       closenotify-cli [options] https://HOST[:PORT]/PATH   (default port 443)\n\n"
      "  interactive when stdin is a terminal: type lines; /quit, Ctrl-D or Ctrl-C to end\n"
      "  a pipe otherwise: at the end of input it sends close_notify and still receives\n"
      "  everything the server sends until the server's close_notify (TLS 1.2: once the\n"
      "  server has been quiet for --eof-wait)\n"
      "  wss://: each line is a text message and each message received a line (--binary:\n"
      "  stdin in --chunk byte binary messages, stdout the payloads); the end of input or a\n"
      "  quit sends close 1000 and receives until the server's close frame, then TLS closes\n"
      "  https://: one GET (a POST with --data), the body to stdout; exit 0 only for a whole\n"
      "  2xx response and a clean close\n\nOptions");
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
    ("binary", po::bool_switch(), "wss://: stdin in binary messages of --chunk bytes; stdout the payloads as they are")
    ("text", po::bool_switch(), "wss://: each line of stdin a text message (the default)")
    ("chunk", po::value<std::size_t>()->default_value(16 * 1024), "wss:// --binary: bytes per message")
    ("header", po::value<std::vector<std::string>>(), "wss://, https://: an extra request header 'Name: value' (repeatable)")
    ("include,i", po::bool_switch(), "https://: the status line and header fields to stdout before the body")
    ("data", po::value<std::string>(), "https://: POST this body; @FILE: the file's bytes")
    ("subprotocol", po::value<std::string>(), "wss://: the subprotocol to ask for (Sec-WebSocket-Protocol)")
    ("origin", po::value<std::string>(), "wss://: the Origin header to send")
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
    const std::string& given = vm["target"].as<std::string>();
    if (given.find("://") != std::string::npos) {
      parse_url(given, config);
    } else {
      const auto target = parse_host_port(given, 4433);
      if (!target) throw usage_error("'" + given + "' is not HOST[:PORT]");
      config.host = target->host;
      config.port = target->port;
    }
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
    } else if (config.websocket.enabled || config.https.enabled) {
      config.tls.alpn = {"http/1.1"};
    } else if (!config.raw) {
      config.tls.alpn = {"closenotify/1"};
    }
    parse_websocket_options(vm, config);
    parse_https_options(vm, config);
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
