// One closenotify-cli connection: the driver of its lifecycle. It connects, pipes standard
// input to the server and the server to stdout (reader and writer side by side: full
// duplex), turns signals, the end of input and a closed stdout into lifecycle events, and
// ends through common's graceful_close. What happened is then the lifecycle's to say
// (reason, exit code); report.hpp tells the user.
#pragma once

#include <cstdint>
#include <string>

#include <boost/asio/signal_set.hpp>

#include "cli_options.hpp"
#include "closenotify/asio.hpp"
#include "closenotify/connection_lifecycle.hpp"
#include "closenotify/deadline.hpp"
#include "closenotify/tls_stream.hpp"
#include "closenotify/wakeup.hpp"
#include "bye_detector.hpp"
#include "stdin_source.hpp"
#include "stdout_sink.hpp"
#include "terminal.hpp"
#include "https_exchange.hpp"
#include "websocket_session.hpp"

namespace closenotify::cli {

class connection {
 public:
  connection(asio::io_context& ioc, const cli_config& config, ssl::context& tls, terminal& term);
  connection(const connection&) = delete;
  connection& operator=(const connection&) = delete;

  asio::awaitable<void> run();  // from resolving the name to the closed socket

  const connection_lifecycle& lifecycle() const noexcept { return lifecycle_; }
  tls_stream& stream() noexcept { return stream_; }
  std::uint64_t bytes_sent() const noexcept { return bytes_sent_; }
  std::uint64_t bytes_received() const noexcept { return bytes_received_; }
  // Why the connection could not be opened, for people (empty once it was).
  const std::string& opening_error() const noexcept { return opening_error_; }
  // wss://: what the WebSocket said (nullptr for raw TLS and the line protocol).
  const websocket_outcome* websocket() const noexcept { return websocket_ ? &websocket_->outcome() : nullptr; }
  // https://: what the response said (nullptr otherwise).
  const https_outcome* https() const noexcept { return https_ ? &https_->outcome() : nullptr; }

 private:
  using clock = std::chrono::steady_clock;

  asio::awaitable<void> open();
  asio::awaitable<void> reader();
  asio::awaitable<void> writer();
  void apply(lifecycle_actions actions);
  void arm_deadline();
  void on_signal(const error_code& ec);

  const cli_config& config_;
  lifecycle_limits limits_;
  connection_lifecycle lifecycle_;
  terminal& terminal_;
  stdout_sink stdout_;
  bye_detector bye_;
  tcp::resolver resolver_;
  tls_stream stream_;
  stdin_source input_;
  asio::signal_set signals_;
  deadline deadline_;
  wakeup writer_wake_;  // the writer awaits the half-close decision (TLS 1.2)
  asio::cancellation_signal read_cancel_;  // resolve, connect, handshake, reads, the close steps
  asio::cancellation_signal write_cancel_;
  bool line_mode_ = false;
  std::uint64_t bytes_sent_ = 0;
  std::uint64_t bytes_received_ = 0;
  std::string opening_error_;
  std::unique_ptr<websocket_session> websocket_;
  std::unique_ptr<https_exchange> https_;
};

}  // namespace closenotify::cli
