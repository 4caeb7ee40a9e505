// The one vocabulary for how a connection ended: logs, counters, tests and exit codes use it.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <boost/system/error_code.hpp>

namespace closenotify {

enum class close_reason : std::uint8_t {
  clean,              // close_notify exchanged (either side started it)
  peer_truncated,     // peer closed TCP without close_notify ("short read"): a normal ending
  peer_reset,         // RST, EPIPE: the peer is gone
  handshake_failed,   // not TLS, no shared parameters, bad certificate
  handshake_timeout,  // the handshake did not finish in time
  idle_timeout,       // nothing moved either way for too long
  write_timeout,      // a write made no progress for too long (peer not reading)
  shutdown_timeout,   // our close_notify got no answer in time
  protocol_error,     // the peer broke the TLS or the line protocol
  server_shutdown,    // the server is draining (SIGTERM/SIGINT)
  local_quit,         // the local user ended the connection (client side)
  error,              // anything else; always a bug or a resource failure worth a look
};

inline constexpr std::size_t close_reason_count = static_cast<std::size_t>(close_reason::error) + 1;

inline constexpr std::array<close_reason, close_reason_count> all_close_reasons{
    close_reason::clean,           close_reason::peer_truncated,   close_reason::peer_reset,
    close_reason::handshake_failed, close_reason::handshake_timeout, close_reason::idle_timeout,
    close_reason::write_timeout,   close_reason::shutdown_timeout, close_reason::protocol_error,
    close_reason::server_shutdown, close_reason::local_quit,       close_reason::error};

std::string_view to_string(close_reason reason) noexcept;
std::optional<close_reason> parse_close_reason(std::string_view text) noexcept;

// Reasons that are ordinary endings of a connection and deserve no warning in a log.
bool is_ordinary(close_reason reason) noexcept;

// How an error that ended a read or write on an established TLS stream is classified.
// eof (the peer's close_notify) is clean; stream_truncated is peer_truncated; resets and
// broken pipes are peer_reset; errors from the TLS layer are protocol_error.
close_reason classify_io_error(const boost::system::error_code& ec) noexcept;

// True when the TLS engine can no longer be used after this error (no TLS shutdown possible).
bool tls_failed_by(const boost::system::error_code& ec) noexcept;

// OpenSSL fails SSL_shutdown with this when the peer's application data arrives after our
// close_notify: the peer was still sending, which RFC 8446 6.1 allows until it sees ours.
bool is_application_data_after_close_notify(const boost::system::error_code& ec) noexcept;

bool is_reset(const boost::system::error_code& ec) noexcept;

// The text of an OpenSSL error for an error_code from the TLS layer, else ec.message().
std::string describe_tls_error(const boost::system::error_code& ec);

}  // namespace closenotify
