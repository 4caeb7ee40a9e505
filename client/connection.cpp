#include "connection.hpp"

#include <cstring>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/write.hpp>
#include <fmt/format.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "closenotify/close.hpp"
#include "closenotify/config_parse.hpp"
#include "closenotify/tls_context.hpp"

namespace closenotify::cli {

using namespace asio::experimental::awaitable_operators;

namespace {
lifecycle_limits client_limits(const cli_config& config) {
  lifecycle_limits limits;
  limits.handshake = config.connect_timeout;
  limits.idle = config.idle_timeout;
  limits.write = std::chrono::milliseconds::zero();  // our writes wait as long as the server reads
  limits.shutdown = config.shutdown_timeout;
  limits.linger = std::chrono::seconds(1);
  limits.eof_wait = config.eof_wait;
  return limits;
}
}  // namespace

connection::connection(asio::io_context& ioc, const cli_config& config, ssl::context& tls, terminal& term)
    : config_(config),
      limits_(client_limits(config)),
      lifecycle_(lifecycle_role::client, limits_, clock::now()),
      terminal_(term),
      resolver_(ioc),
      stream_(ioc, tls),
      input_(ioc, STDIN_FILENO),
      signals_(ioc, SIGINT, SIGTERM),
      deadline_(ioc.get_executor(),
                [this] {
                  apply(lifecycle_.tick(clock::now()));
                  arm_deadline();
                }),
      writer_wake_(ioc) {}

void connection::arm_deadline() { deadline_.arm(lifecycle_.next_wakeup(clock::now())); }

void connection::apply(lifecycle_actions actions) {
  using act = lifecycle_actions;
  if (actions.empty()) return;
  if (actions.has(act::cancel_read) || actions.has(act::cancel_close)) {
    read_cancel_.emit(asio::cancellation_type::terminal);
    resolver_.cancel();  // name resolution takes no per-operation cancellation
  }
  if (actions.has(act::cancel_write)) write_cancel_.emit(asio::cancellation_type::terminal);
  if (actions.has(act::close_socket)) {
    error_code ignored;
    stream_.next_layer().close(ignored);
  }
  if (actions.has(act::stop_input)) input_.stop();
  if (actions.has(act::say_goodbye) && websocket_) websocket_->goodbye();
  if (actions.has(act::wake_writer)) writer_wake_.notify();
  if (actions.has(act::rearm)) arm_deadline();
}

void connection::on_signal(const error_code& ec) {
  // A signal already queued when run() ended must not keep the io_context alive.
  if (ec || lifecycle_.phase() == lifecycle_phase::closed) return;
  if (lifecycle_.established() && !lifecycle_.user_quit() && !lifecycle_.stopped())
    terminal_.status("interrupted: closing the connection (again to abort)");
  apply(lifecycle_.local_quit(clock::now()));
  signals_.async_wait([this](const error_code& next, int) { on_signal(next); });
}

asio::awaitable<void> connection::run() {
  signals_.async_wait([this](const error_code& ec, int) { on_signal(ec); });
  arm_deadline();
  co_await open();
  if (lifecycle_.established()) {
    SSL* ssl = stream_.native_handle();
    const std::string_view alpn = selected_alpn(stream_);
    line_mode_ = alpn == alpn_line_protocol;
    terminal_.status(fmt::format("connected to {}:{} ({}, {}, ALPN {}), certificate {}", config_.host, config_.port,
                                 SSL_get_version(ssl), SSL_get_cipher_name(ssl), alpn.empty() ? "none: raw bytes" : alpn,
                                 config_.tls.verify_peer ? "verified" : "NOT verified"));
    const protocol_env env{config_, stream_, lifecycle_, input_, stdout_, terminal_, read_cancel_, write_cancel_,
                           [this](lifecycle_actions actions) { apply(actions); }};
    if (config_.websocket.enabled) {
      websocket_ = std::make_unique<websocket_session>(env);
      co_await websocket_->run();
    } else if (config_.https.enabled) {
      https_ = std::make_unique<https_exchange>(env);
      co_await https_->run();
    } else {
      if (terminal_.interactive()) {
        terminal_.status(line_mode_ ? "type lines; /help lists the server's commands; /quit, Ctrl-D or Ctrl-C ends"
                                    : "raw bytes; /quit, Ctrl-D or Ctrl-C ends");
        terminal_.prompt();
      }
      co_await (reader() && writer());
    }
  }
  apply(lifecycle_.reading_ended(clock::now()));
  co_await graceful_close(stream_, lifecycle_, deadline_, read_cancel_);
  signals_.cancel();
  deadline_.disarm();
}

asio::awaitable<void> connection::open() {
  const std::string where = config_.host + ":" + std::to_string(config_.port);
  const std::string limit = format_duration(config_.connect_timeout);
  const auto bound = [this] { return asio::bind_cancellation_slot(read_cancel_.slot(), use_nothrow); };

  // Resolve, connect and handshake share --connect-timeout: the lifecycle's opening deadline.
  // A step may complete after its cancel (name resolution cannot be cancelled once under way,
  // and a completion may already be queued): after each, a stopped lifecycle ends the opening.
  lifecycle_.read_started();
  auto [resolve_ec, endpoints] = co_await resolver_.async_resolve(config_.host, std::to_string(config_.port), bound());
  if (!resolve_ec && lifecycle_.stopped()) resolve_ec = asio::error::operation_aborted;
  if (resolve_ec) {
    opening_error_ = lifecycle_.opening_expired() ? "resolving " + config_.host + " took longer than " + limit
                                                  : "cannot resolve " + config_.host + ": " + resolve_ec.message();
    apply(lifecycle_.connect_failed(clock::now(), resolve_ec));
    co_return;
  }
  lifecycle_.read_started();
  auto [connect_ec, endpoint] = co_await asio::async_connect(stream_.next_layer(), endpoints, bound());
  if (!connect_ec && lifecycle_.stopped()) connect_ec = asio::error::operation_aborted;
  if (const error_code ec = connect_ec; ec) {
    opening_error_ = lifecycle_.opening_expired() ? "connecting to " + where + " timed out after " + limit
                                                  : "cannot connect to " + where + ": " + ec.message();
    apply(lifecycle_.connect_failed(clock::now(), ec));
    co_return;
  }
  set_client_server_name(stream_, config_.sni, config_.tls.verify_peer);
  lifecycle_.read_started();
  auto [ec] = co_await stream_.async_handshake(ssl::stream_base::client, bound());
  if (!ec && lifecycle_.stopped()) ec = asio::error::operation_aborted;
  if (!ec) {
    // TLS 1.2 has no half-close: the end of our input must wait for the server to be done.
    apply(lifecycle_.handshake_done(clock::now(), SSL_version(stream_.native_handle()) >= TLS1_3_VERSION));
    co_return;
  }
  const long verify = SSL_get_verify_result(stream_.native_handle());
  const bool rejected = config_.tls.verify_peer && verify != X509_V_OK;
  if (lifecycle_.opening_expired())
    opening_error_ = "the TLS handshake with " + where + " did not finish within " + limit;
  else if (rejected)
    opening_error_ = std::string("certificate verification failed: ") + X509_verify_cert_error_string(verify) +
                     " (server " + where + ", name " + config_.sni + ")";
  else
    opening_error_ = "TLS handshake with " + where + " failed: " + describe_tls_error(ec);
  apply(lifecycle_.handshake_failed(clock::now(), ec, rejected));
}

asio::awaitable<void> connection::reader() {
  std::string buffer(16 * 1024, '\0');
  while (lifecycle_.reading_wanted()) {
    lifecycle_.read_started();
    const auto [ec, n] = co_await stream_.async_read_some(asio::buffer(buffer), asio::bind_cancellation_slot(read_cancel_.slot(), use_nothrow));
    lifecycle_.read_resumed();
    if (n > 0) {
      const std::string_view data(buffer.data(), n);
      bytes_received_ += n;
      lifecycle_.input(clock::now());
      if (line_mode_ && bye_.feed(data)) lifecycle_.bye_seen();
      if (!stdout_.closed() && !stdout_.write(data)) apply(lifecycle_.output_closed(clock::now()));
      terminal_.received(data);
    }
    if (ec) {
      apply(lifecycle_.read_ended(clock::now(), ec));
      break;
    }
  }
}

asio::awaitable<void> connection::writer() {
  for (;;) {
    stdin_source::chunk in = co_await input_.next();
    if (in.stopped) break;  // the lifecycle stopped it: a quit, the server's end, or stdout closed
    if (in.error != 0) {
      terminal_.complain(std::string("reading standard input: ") + std::strerror(in.error));
      apply(lifecycle_.local_quit(clock::now()));
      co_return;
    }
    if (in.eof) {
      apply(lifecycle_.input_ended(clock::now()));
      break;
    }
    // At a terminal in raw mode /quit is ours; in line mode the server answers it with BYE.
    if (terminal_.interactive() && !line_mode_ && (in.data == "/quit\n" || in.data == "/quit\r\n")) {
      apply(lifecycle_.local_quit(clock::now()));
      co_return;
    }
    if (!lifecycle_.sending_wanted()) co_return;  // read just before a quit: not ours to send any more
    terminal_.sent();
    lifecycle_.write_waits(clock::now());
    const auto [ec, n] =
        co_await asio::async_write(stream_, asio::buffer(in.data), asio::bind_cancellation_slot(write_cancel_.slot(), use_nothrow));
    bytes_sent_ += n;
    apply(lifecycle_.write_ended(clock::now(), ec, n));
    if (ec) co_return;
    if (!lifecycle_.sending_wanted()) break;
  }
  // The end of input (or of stdout): half-close. Our close_notify goes out, and everything the
  // server still sends is received until its own close_notify (or --shutdown-timeout).
  while (lifecycle_.half_close_waits()) co_await writer_wake_.wait();
  if (!lifecycle_.half_close_due()) co_return;
  apply(lifecycle_.half_close_begins(clock::now()));
  const error_code ec = co_await send_close_notify(stream_, write_cancel_.slot());
  apply(lifecycle_.write_ended(clock::now(), ec, 0));
  if (!ec && terminal_.interactive()) terminal_.status("end of input: close_notify sent, waiting for the server's");
}

}  // namespace closenotify::cli
