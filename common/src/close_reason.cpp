#include "closenotify/close_reason.hpp"

#include <boost/asio/error.hpp>
#include <boost/asio/ssl/error.hpp>
#include <openssl/err.h>
#include <openssl/ssl.h>

namespace closenotify {

namespace {
constexpr std::array<std::string_view, close_reason_count> names{
    "clean",         "peer_truncated",   "peer_reset",     "handshake_failed",
    "handshake_timeout", "idle_timeout", "write_timeout",  "shutdown_timeout",
    "protocol_error", "server_shutdown", "local_quit",     "error"};
}  // namespace

std::string_view to_string(close_reason reason) noexcept {
  return names[static_cast<std::size_t>(reason)];
}

std::optional<close_reason> parse_close_reason(std::string_view text) noexcept {
  for (std::size_t i = 0; i < names.size(); ++i)
    if (names[i] == text) return static_cast<close_reason>(i);
  return std::nullopt;
}

bool is_ordinary(close_reason reason) noexcept {
  switch (reason) {
    case close_reason::clean:
    case close_reason::peer_truncated:
    case close_reason::peer_reset:
    case close_reason::idle_timeout:
    case close_reason::server_shutdown:
    case close_reason::local_quit:
      return true;
    default:
      return false;
  }
}

bool is_reset(const boost::system::error_code& ec) noexcept {
  namespace error = boost::asio::error;
  return ec == error::connection_reset || ec == error::broken_pipe ||
         ec == error::connection_aborted || ec == error::not_connected;
}

bool is_application_data_after_close_notify(const boost::system::error_code& ec) noexcept {
  return ec.category() == boost::asio::error::get_ssl_category() &&
         ERR_GET_REASON(static_cast<unsigned long>(ec.value())) ==
             SSL_R_APPLICATION_DATA_AFTER_CLOSE_NOTIFY;
}

bool tls_failed_by(const boost::system::error_code& ec) noexcept {
  return ec.category() == boost::asio::error::get_ssl_category() ||
         ec == boost::asio::ssl::error::stream_truncated || is_reset(ec);
}

std::string describe_tls_error(const boost::system::error_code& ec) {
  if (ec.category() == boost::asio::error::get_ssl_category()) {
    char buf[256];
    ERR_error_string_n(static_cast<unsigned long>(ec.value()), buf, sizeof buf);
    return buf;
  }
  return ec.message();
}

close_reason classify_io_error(const boost::system::error_code& ec) noexcept {
  if (!ec || ec == boost::asio::error::eof) return close_reason::clean;
  if (ec == boost::asio::ssl::error::stream_truncated) return close_reason::peer_truncated;
  if (is_reset(ec)) return close_reason::peer_reset;
  if (ec.category() == boost::asio::error::get_ssl_category()) return close_reason::protocol_error;
  return close_reason::error;
}

}  // namespace closenotify
