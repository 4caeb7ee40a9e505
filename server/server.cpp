#include "server.hpp"

#include <csignal>
#include <fstream>
#include <stdexcept>
#include <thread>

#include <boost/asio/signal_set.hpp>

#include "closenotify/log.hpp"
#include "closenotify/self_signed_cert.hpp"
#include "closenotify/tls_context.hpp"
#include "worker.hpp"

namespace closenotify::server {

namespace {
ssl::context make_tls(const server_config& config, std::string& fingerprint, bool& ephemeral) {
  server_tls_config tls;
  tls.client_ca_file = config.client_ca_file;
  tls.require_client_cert = config.require_client_cert;
  tls.session_tickets = config.session_tickets;
  if (config.cert_file.empty()) {
    certificate_pem pem = make_localhost_certificate();
    tls.cert_chain_pem = std::move(pem.cert);
    tls.key_pem = std::move(pem.key);
    fingerprint = std::move(pem.fingerprint);
    ephemeral = true;
    if (!config.cert_out.empty()) {
      std::ofstream out(config.cert_out, std::ios::binary | std::ios::trunc);
      out << tls.cert_chain_pem;
      if (!out.flush()) throw std::runtime_error("cannot write --cert-out " + config.cert_out);
    }
  } else {
    tls.cert_chain_pem = read_file(config.cert_file, "certificate");
    tls.key_pem = read_file(config.key_file, "private key");
    fingerprint = pem_fingerprint(tls.cert_chain_pem);
  }
  return make_server_context(tls);
}

tcp::endpoint resolve_listen(const server_config& config) {
  asio::io_context ioc;
  tcp::resolver resolver(ioc);
  error_code ec;
  const auto results = resolver.resolve(config.host, std::to_string(config.port),
                                        tcp::resolver::numeric_service | tcp::resolver::passive, ec);
  if (ec || results.empty())
    throw std::runtime_error("cannot resolve --listen host " + config.host + ": " + ec.message());
  return results.begin()->endpoint();
}

}  // namespace

server::server(server_config config)
    : config_(std::move(config)), slots_(config_.max_connections, [this] {
        // We were full: a listener may be waiting on any worker.
        for (auto& w : workers_) w->slot_freed();
      }) {
  tls_ = std::make_unique<ssl::context>(make_tls(config_, fingerprint_, ephemeral_));
  for (unsigned i = 0; i < config_.threads; ++i)
    workers_.push_back(std::make_unique<worker>(*tls_, config_, slots_, *this, next_id_));
  bind_listeners();
}

server::~server() = default;

void server::bind_listeners() {
  tcp::endpoint endpoint = resolve_listen(config_);
  if (endpoint.port() != 0) {
    // SO_REUSEPORT would let a second instance of ours join the port and silently take half
    // of its connections. A plain bind first fails if anyone holds the port, and the
    // reuseport sockets below then make any later plain bind fail too.
    asio::io_context probe_context;
    tcp::acceptor probe(probe_context);
    error_code ec;
    probe.open(endpoint.protocol(), ec);
    if (!ec) probe.set_option(tcp::acceptor::reuse_address(true), ec);
    if (!ec) probe.bind(endpoint, ec);
    if (ec) throw std::runtime_error("cannot listen on " + endpoint.address().to_string() + ":" +
                                     std::to_string(endpoint.port()) + ": " + ec.message());
  }
  for (auto& w : workers_) {
    w->open(endpoint);
    endpoint = w->local_endpoint();  // port 0: the rest join the port the first got
  }
}

tcp::endpoint server::local_endpoint() const { return workers_.front()->local_endpoint(); }

counters_snapshot server::stats() const {
  counters_snapshot total;
  for (const auto& w : workers_) total += w->snapshot();
  return total;
}

void server::begin_drain() {
  log_event(log_level::info, "draining", {{"active", stats().active()},
                                          {"drain_timeout_ms", static_cast<std::uint64_t>(config_.drain_timeout.count())}});
  for (auto& w : workers_) w->begin_drain();
}

void server::force_drain() {
  log_event(log_level::warn, "drain_deadline", {{"active", stats().active()}});
  for (auto& w : workers_) w->force_drain();
}

int server::run() {
  asio::io_context control;  // signals and the drain deadline, on the main thread
  asio::signal_set signals(control, SIGINT, SIGTERM);
  asio::steady_timer drain_deadline(control);
  std::size_t running = workers_.size();
  bool draining = false;
  bool forced = false;

  std::function<void(const error_code&, int)> on_signal = [&](const error_code& ec, int signo) {
    if (ec) return;
    if (!draining) {
      draining = true;
      log_event(log_level::info, "signal", {{"signal", std::string_view(signo == SIGINT ? "SIGINT" : "SIGTERM")}});
      begin_drain();
      drain_deadline.expires_after(config_.drain_timeout);
      drain_deadline.async_wait([&](const error_code& timer_ec) {
        if (timer_ec) return;
        forced = true;
        force_drain();
      });
    } else if (!forced) {
      forced = true;  // a second signal: stop waiting for peers
      force_drain();
    }
    signals.async_wait(on_signal);
  };
  signals.async_wait(on_signal);

  // Announced only now: a SIGTERM from here on drains instead of killing the process.
  const auto endpoint = local_endpoint();
  log_event(log_level::info, "listening",
            {{"address", std::string_view(endpoint.address().to_string())},
             {"port", std::uint64_t{endpoint.port()}},
             {"threads", std::uint64_t{config_.threads}},
             {"certificate", ephemeral_ ? std::string_view("ephemeral self-signed") : std::string_view(config_.cert_file)},
             {"fingerprint_sha256", std::string_view(fingerprint_)}});

  std::vector<std::thread> threads;
  for (auto& w : workers_) {
    threads.emplace_back([&control, &running, &drain_deadline, &signals, wp = w.get()] {
      wp->run();
      asio::post(control, [&] {
        if (--running == 0) {
          drain_deadline.cancel();
          signals.cancel();
        }
      });
    });
  }
  control.run();
  for (auto& t : threads) t.join();

  const counters_snapshot totals = stats();
  // One line at exit; the invariant accepted == closed_total holds once drained.
  std::vector<log_field> fields{{"accepted", totals.accepted},       {"closed_total", totals.closed_total()},
                                {"active", totals.active()},         {"bytes_in", totals.bytes_in},
                                {"bytes_out", totals.bytes_out},     {"drain", std::string_view(forced ? "forced" : "complete")}};
  for (auto r : all_close_reasons) fields.push_back({to_string(r), totals.closed_by(r)});
  log_event(log_level::info, "summary", fields);
  return forced ? exit_drain_forced : exit_ok;
}

}  // namespace closenotify::server
