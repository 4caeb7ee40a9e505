#include "client.hpp"

#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <optional>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/write.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <fmt/format.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "closenotify/close.hpp"
#include "closenotify/tls_context.hpp"
#include "exit_code.hpp"
#include "stdin_source.hpp"

namespace closenotify::cli {

using namespace asio::experimental::awaitable_operators;

namespace {
using clock = std::chrono::steady_clock;

std::string format_duration(std::chrono::milliseconds d) {
  return d.count() % 1000 == 0 ? fmt::format("{}s", d.count() / 1000) : fmt::format("{}ms", d.count());
}

// Blocking on purpose: a slow consumer of our stdout slows our reading from the server, and
// the reader re-arms its TLS read only after the bytes are out. False when stdout is gone.
bool write_stdout(const char* data, std::size_t size) {
  while (size > 0) {
    const ssize_t n = ::write(STDOUT_FILENO, data, size);
    if (n > 0) {
      data += n;
      size -= static_cast<std::size_t>(n);
    } else if (n < 0 && errno == EAGAIN) {
      pollfd p{STDOUT_FILENO, POLLOUT, 0};
      ::poll(&p, 1, -1);
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else {
      return false;  // EPIPE (SIGPIPE is ignored) or another failure
    }
  }
  return true;
}

std::string bio_text(BIO* bio) {
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<std::size_t>(std::max(len, 0L)));
}

std::string name_text(const X509_NAME* name) {
  BIO* bio = BIO_new(BIO_s_mem());
  X509_NAME_print_ex(bio, name, 0, XN_FLAG_RFC2253);
  std::string text = bio_text(bio);
  BIO_free(bio);
  return text;
}

std::string time_text(const ASN1_TIME* t) {
  BIO* bio = BIO_new(BIO_s_mem());
  ASN1_TIME_print(bio, t);
  std::string text = bio_text(bio);
  BIO_free(bio);
  return text;
}

class connection {
 public:
  connection(asio::io_context& ioc, const cli_config& config, ssl::context& tls)
      : ioc_(ioc), config_(config), stream_(ioc, tls), input_(ioc, STDIN_FILENO), signals_(ioc, SIGINT, SIGTERM),
        watchdog_timer_(ioc) {}

  asio::awaitable<int> run();

 private:
  asio::awaitable<int> connect();
  asio::awaitable<void> serve();
  asio::awaitable<void> reader();
  asio::awaitable<void> writer();
  asio::awaitable<void> watchdog();
  void quit(close_reason why);
  void on_signal(const error_code& ec);
  void notice_bye(std::string_view data);
  void prompt() const {
    if (interactive_ && !config_.quiet) std::fputs("> ", stderr);
  }
  void status(std::string_view text) const {
    if (!config_.quiet) std::fprintf(stderr, "* %.*s\n", static_cast<int>(text.size()), text.data());
  }
  static void complain(std::string_view text) {
    std::fprintf(stderr, "closenotify-cli: %.*s\n", static_cast<int>(text.size()), text.data());
  }
  void print_json(std::optional<close_reason> reason, int code);

  asio::io_context& ioc_;
  const cli_config& config_;
  tls_stream stream_;
  stdin_source input_;
  asio::signal_set signals_;
  asio::steady_timer watchdog_timer_;
  asio::cancellation_signal read_cancel_;
  asio::cancellation_signal write_cancel_;

  bool handshaken_ = false;
  bool line_mode_ = false;
  bool interactive_ = false;
  bool reader_done_ = false;
  bool io_done_ = false;
  bool half_closed_ = false;  // our close_notify is out; still receiving
  bool bye_seen_ = false;
  bool stdout_closed_ = false;
  std::string line_head_;  // first bytes of the line being received, to spot BYE
  bool awaiting_reply_ = false;  // interactive: a prompt follows the answer to what was typed
  std::optional<close_reason> quit_;  // why we are ending the connection ourselves
  error_code read_end_;
  error_code write_end_;
  clock::time_point last_activity_ = clock::now();
  // Since our quit or our close_notify: the server gets --shutdown-timeout to take what we
  // still send and to answer.
  std::optional<clock::time_point> closing_since_;
  bool writing_ = false;    // a write (data or close_notify) is waiting for the socket
  bool write_cut_ = false;  // cut at the closing deadline: half a record is out, TLS is over
  std::uint64_t bytes_sent_ = 0;
  std::uint64_t bytes_received_ = 0;
  std::string error_text_;
};

asio::awaitable<int> connection::connect() {
  asio::steady_timer deadline(ioc_);
  deadline.expires_after(config_.connect_timeout);
  const std::string where = config_.host + ":" + std::to_string(config_.port);
  const std::string limit = format_duration(config_.connect_timeout);

  tcp::resolver resolver(ioc_);
  auto resolved = co_await (resolver.async_resolve(config_.host, std::to_string(config_.port), use_nothrow) ||
                            deadline.async_wait(use_nothrow));
  if (resolved.index() == 1) {
    error_text_ = "resolving " + config_.host + " took longer than " + limit;
    co_return exit_connect_timeout;
  }
  auto [resolve_ec, endpoints] = std::get<0>(resolved);
  if (resolve_ec) {
    error_text_ = "cannot resolve " + config_.host + ": " + resolve_ec.message();
    co_return exit_connect_failed;
  }
  auto connected = co_await (asio::async_connect(stream_.next_layer(), endpoints, use_nothrow) ||
                             deadline.async_wait(use_nothrow));
  if (connected.index() == 1) {
    error_text_ = "connecting to " + where + " timed out after " + limit;
    co_return exit_connect_timeout;
  }
  if (const auto [ec, endpoint] = std::get<0>(connected); ec) {
    error_text_ = "cannot connect to " + where + ": " + ec.message();
    co_return exit_connect_failed;
  }
  set_client_server_name(stream_, config_.sni, config_.tls.verify_peer);
  auto shaken = co_await (stream_.async_handshake(ssl::stream_base::client, use_nothrow) || deadline.async_wait(use_nothrow));
  if (shaken.index() == 1) {
    error_text_ = "the TLS handshake with " + where + " did not finish within " + limit;
    co_return exit_connect_timeout;
  }
  if (const auto [ec] = std::get<0>(shaken); ec) {
    const long verify = SSL_get_verify_result(stream_.native_handle());
    if (config_.tls.verify_peer && verify != X509_V_OK) {
      error_text_ = std::string("certificate verification failed: ") + X509_verify_cert_error_string(verify) +
                    " (server " + where + ", name " + config_.sni + ")";
      co_return exit_verify_failed;
    }
    error_text_ = "TLS handshake with " + where + " failed: " + describe_tls_error(ec);
    co_return exit_handshake_failed;
  }
  handshaken_ = true;
  co_return exit_clean;
}

asio::awaitable<int> connection::run() {
  if (!config_.tls.verify_peer)
    complain("WARNING: --insecure: the server's certificate is NOT verified; anyone on the path can read and change this connection");
  signals_.async_wait([this](const error_code& ec, int) { on_signal(ec); });

  if (const int code = co_await connect(); code != exit_clean) {
    complain(error_text_);
    signals_.cancel();
    print_json(std::nullopt, code);
    co_return code;
  }
  SSL* ssl = stream_.native_handle();
  const std::string_view alpn = selected_alpn(stream_);
  line_mode_ = alpn == alpn_line_protocol;
  interactive_ = ::isatty(STDIN_FILENO) == 1;
  status(fmt::format("connected to {}:{} ({}, {}, ALPN {}), certificate {}", config_.host, config_.port,
                     SSL_get_version(ssl), SSL_get_cipher_name(ssl), alpn.empty() ? "none: raw bytes" : alpn,
                     config_.tls.verify_peer ? "verified" : "NOT verified"));
  if (interactive_) {
    status(line_mode_ ? "type lines; /help lists the server's commands; /quit, Ctrl-D or Ctrl-C ends"
                      : "raw bytes; /quit, Ctrl-D or Ctrl-C ends");
    prompt();
  }

  co_await serve();
  signals_.cancel();

  // How the connection ended, before the close path runs.
  std::optional<close_reason> reason;
  bool tls_alive = true;
  if (write_cut_) {
    // No close_notify can follow half a record (OpenSSL: bad write retry).
    reason = quit_ == close_reason::idle_timeout ? close_reason::idle_timeout : close_reason::shutdown_timeout;
    tls_alive = false;
  } else if (quit_ == close_reason::shutdown_timeout || quit_ == close_reason::idle_timeout) {
    reason = quit_;
    tls_alive = quit_ == close_reason::idle_timeout;  // after our close_notify, nothing more to send
  } else if (read_end_ == asio::error::eof) {
    reason = close_reason::clean;  // the server's close_notify; ours answers it below
  } else if (read_end_.category() == asio::error::get_ssl_category() && bytes_received_ == 0) {
    // TLS 1.3 servers refuse a client certificate (or its absence) after the handshake: the
    // alert arrives on the first read. For the user that is a failed handshake.
    reason = close_reason::handshake_failed;
    tls_alive = false;
    error_text_ = "the server refused the connection: " + describe_tls_error(read_end_);
  } else if (read_end_ && read_end_ != asio::error::operation_aborted) {
    reason = classify_io_error(read_end_);
    tls_alive = !tls_failed_by(read_end_);
    error_text_ = describe_tls_error(read_end_);
  } else if (write_end_) {
    reason = classify_io_error(write_end_);
    tls_alive = false;
    error_text_ = describe_tls_error(write_end_);
  }
  // Otherwise we quit (the reader was cancelled first): the shutdown's outcome decides.
  const close_result closed =
      co_await graceful_close(stream_, {reason, tls_alive, true}, {config_.shutdown_timeout, std::chrono::seconds(1)});
  close_reason final_reason = closed.reason;
  if (quit_ == close_reason::local_quit && final_reason == close_reason::clean) final_reason = close_reason::local_quit;
  const bool under_way = half_closed_ || bye_seen_ || quit_.has_value();
  const int code = exit_code_for(final_reason, under_way);

  switch (code) {
    case exit_clean:
      status(fmt::format("closed: {} ({} bytes sent, {} received)", to_string(final_reason), bytes_sent_, bytes_received_));
      break;
    case exit_truncated:
      status("the server closed the connection without close_notify: the data may be incomplete");
      break;
    case exit_shutdown_timeout:
      if (write_cut_)
        complain("the server stopped reading: our last bytes were not taken within " +
                 format_duration(config_.shutdown_timeout) + ", so the connection ended without close_notify");
      else
        complain("the server did not answer our close_notify within " + format_duration(config_.shutdown_timeout));
      break;
    default:
      complain(fmt::format("connection ended: {}{}{}", to_string(final_reason), error_text_.empty() ? "" : ": ", error_text_));
  }
  print_json(final_reason, code);
  co_return code;
}

asio::awaitable<void> connection::serve() {
  auto io = [this]() -> asio::awaitable<void> {
    co_await (reader() && writer());
    io_done_ = true;
  };
  co_await (io() || watchdog());
}

asio::awaitable<void> connection::reader() {
  std::string buffer(16 * 1024, '\0');
  while (!quit_) {
    const auto [ec, n] = co_await stream_.async_read_some(asio::buffer(buffer),
                                                          asio::bind_cancellation_slot(read_cancel_.slot(), use_nothrow));
    if (n > 0) {
      bytes_received_ += n;
      last_activity_ = clock::now();
      if (line_mode_) notice_bye({buffer.data(), n});
      if (!stdout_closed_ && !write_stdout(buffer.data(), n)) {
        // `| head -c 10`: no SIGPIPE death. Nobody wants the rest, but the server may still
        // be sending: half-close (as at the end of input) and discard until its close_notify.
        stdout_closed_ = true;
        input_.stop();
      }
      if (awaiting_reply_ && buffer[n - 1] == '\n') {
        awaiting_reply_ = false;
        prompt();
      }
    }
    if (ec) {
      read_end_ = ec;
      break;
    }
  }
  reader_done_ = true;
  input_.stop();
}

asio::awaitable<void> connection::writer() {
  for (;;) {
    stdin_source::chunk in = co_await input_.next();
    if (in.stopped && !stdout_closed_) co_return;
    if (in.stopped) break;  // stdout is gone: half-close below
    if (in.error != 0) {
      complain(std::string("reading standard input: ") + std::strerror(in.error));
      quit(close_reason::local_quit);
      co_return;
    }
    if (in.eof) break;
    last_activity_ = clock::now();
    // At a terminal in raw mode /quit is ours; in line mode the server answers it with BYE.
    if (interactive_ && !line_mode_ && (in.data == "/quit\n" || in.data == "/quit\r\n")) {
      quit(close_reason::local_quit);
      co_return;
    }
    if (quit_) co_return;  // read just before the quit: not ours to send any more
    awaiting_reply_ = interactive_;
    writing_ = true;
    const auto [ec, n] =
        co_await asio::async_write(stream_, asio::buffer(in.data), asio::bind_cancellation_slot(write_cancel_.slot(), use_nothrow));
    writing_ = false;
    bytes_sent_ += n;
    if (ec) {
      write_end_ = ec;
      co_return;
    }
    if (quit_ || reader_done_ || stdout_closed_) break;
  }
  if (quit_ || reader_done_ || half_closed_) co_return;
  // End of input: half-close. Our close_notify goes out, and everything the server still
  // sends is received until its own close_notify (or --shutdown-timeout).
  closing_since_ = clock::now();
  writing_ = true;
  watchdog_timer_.cancel();  // re-arm for the shutdown deadline
  const error_code ec = co_await send_close_notify(stream_, write_cancel_.slot());
  writing_ = false;
  if (ec) {
    write_end_ = ec;
    co_return;
  }
  half_closed_ = true;
  if (interactive_) status("end of input: close_notify sent, waiting for the server's");
}

asio::awaitable<void> connection::watchdog() {
  while (!io_done_) {
    auto at = clock::time_point::max();
    // Closing: a write still waiting for the socket, or the server's close_notify.
    if (closing_since_ && !write_cut_ && (writing_ || !quit_)) at = *closing_since_ + config_.shutdown_timeout;
    if (config_.idle_timeout.count() > 0 && !quit_ && !closing_since_) at = std::min(at, last_activity_ + config_.idle_timeout);
    watchdog_timer_.expires_at(at);
    co_await watchdog_timer_.async_wait(use_nothrow);
    if (io_done_) continue;
    const auto now = clock::now();
    if (closing_since_ && now >= *closing_since_ + config_.shutdown_timeout) {
      // A server that stopped reading would hold this write, and us, for ever.
      if (writing_ && !write_cut_) {
        write_cut_ = true;
        write_cancel_.emit(asio::cancellation_type::terminal);
      }
      quit(close_reason::shutdown_timeout);
    } else if (config_.idle_timeout.count() > 0 && !quit_ && !closing_since_ &&
               now - last_activity_ >= config_.idle_timeout) {
      quit(close_reason::idle_timeout);
    }
  }
}

void connection::quit(close_reason why) {
  if (quit_) return;
  quit_ = why;
  if (!closing_since_) closing_since_ = clock::now();
  watchdog_timer_.cancel();  // re-arm for the closing deadline
  input_.stop();
  // Seed 003's sequence: the pending read is cancelled and completes before any shutdown.
  read_cancel_.emit(asio::cancellation_type::terminal);
}

void connection::on_signal(const error_code& ec) {
  if (ec) return;
  if (!quit_) {
    status("interrupted: closing the connection (again to abort)");
    quit(close_reason::local_quit);
  } else {
    error_code ignored;
    stream_.next_layer().close(ignored);  // a second signal: no more waiting
  }
  signals_.async_wait([this](const error_code& next, int) { on_signal(next); });
}

void connection::notice_bye(std::string_view data) {
  while (!data.empty()) {
    const auto nl = data.find('\n');
    const std::string_view part = data.substr(0, nl);
    if (line_head_.size() < 4) line_head_.append(part.substr(0, 4 - line_head_.size()));
    if (nl == std::string_view::npos) return;
    if (line_head_.starts_with("BYE") && (line_head_.size() == 3 || line_head_[3] == ' ' || line_head_[3] == '\r'))
      bye_seen_ = true;
    line_head_.clear();
    data.remove_prefix(nl + 1);
  }
}

void connection::print_json(std::optional<close_reason> reason, int code) {
  if (!config_.json) return;
  boost::json::object o;
  o["host"] = config_.host;
  o["port"] = config_.port;
  if (handshaken_) {
    SSL* ssl = stream_.native_handle();
    o["tls_version"] = SSL_get_version(ssl);
    o["cipher"] = SSL_get_cipher_name(ssl);
    o["alpn"] = std::string(selected_alpn(stream_));
    o["resumed"] = SSL_session_reused(ssl) == 1;
    if (const X509* cert = SSL_get0_peer_certificate(ssl)) {
      boost::json::object peer;
      peer["subject"] = name_text(X509_get_subject_name(cert));
      peer["issuer"] = name_text(X509_get_issuer_name(cert));
      peer["not_after"] = time_text(X509_get0_notAfter(cert));
      peer["verified"] = config_.tls.verify_peer && SSL_get_verify_result(ssl) == X509_V_OK;
      o["peer_certificate"] = std::move(peer);
    }
  }
  o["bytes_sent"] = bytes_sent_;
  o["bytes_received"] = bytes_received_;
  if (reason) o["close_reason"] = to_string(*reason);
  else o["close_reason"] = nullptr;
  if (!error_text_.empty()) o["error"] = error_text_;
  o["exit_code"] = code;
  std::fprintf(stderr, "%s\n", boost::json::serialize(o).c_str());
}
}  // namespace

int run_client(const cli_config& config) {
  asio::io_context ioc(1);
  ssl::context tls = make_client_context(config.tls);
  connection conn(ioc, config, tls);
  int code = exit_error;
  asio::co_spawn(ioc, conn.run(), [&](std::exception_ptr e, int result) {
    code = result;
    if (e) {
      try {
        std::rethrow_exception(e);
      } catch (const std::exception& ex) {
        std::fprintf(stderr, "closenotify-cli: %s\n", ex.what());
        code = exit_error;
      }
    }
  });
  ioc.run();
  return code;
}

}  // namespace closenotify::cli
