// The one close path every connection of both programs ends through (DESIGN.md, "How a
// connection ends"). The caller has done step 1: its reads are cancelled and completed, and
// what it owed the peer is flushed. This does the rest:
//   2. async_shutdown raced with a deadline: send close_notify, wait (bounded) for the
//      peer's. Truncation is a normal close; the deadline expiring is shutdown_timeout.
//   3. unless both close_notify alerts passed cleanly: shutdown(send), then drain and discard
//      input until FIN or the linger deadline, so the kernel never answers our close() with
//      RST while the peer still reads (seed 002).
//   4. close the socket, once.
// Step 5, recording the reason, is the caller's: connection_record takes the result.
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "closenotify/asio.hpp"
#include "closenotify/tls_stream.hpp"
#include "closenotify/close_reason.hpp"

namespace closenotify {

struct close_timeouts {
  std::chrono::milliseconds shutdown{5000};
  std::chrono::milliseconds linger{2000};
};

struct close_request {
  std::optional<close_reason> reason;  // the cause, when already known; else the shutdown decides
  bool tls_alive = true;               // false after a TLS error or failed handshake: no close_notify possible
  bool linger = true;                  // false when draining input is pointless (peer not reading)
};

struct close_result {
  close_reason reason = close_reason::error;
  std::string detail;  // what the shutdown reported, when it was not a plain success
};

asio::awaitable<close_result> graceful_close(tls_stream& stream, close_request request, close_timeouts timeouts);

// TLS half-close (RFC 8446 6.1): send our close_notify now, without waiting for the peer's,
// while a reader keeps receiving. async_shutdown cannot do this: it also reads, and
// OpenSSL fails a shutdown that meets application data ("application data after close
// notify"), losing what the peer still sends. Afterwards SSL_read goes on delivering the
// peer's data until its close_notify (eof). Call it with no write in progress: a record
// half-written ahead of the alert would be cut. A peer that stops reading holds the alert
// back: the caller's deadline cancels the wait through `slot` (TLS is over then).
asio::awaitable<error_code> send_close_notify(tls_stream& stream, asio::cancellation_slot slot = {});

}  // namespace closenotify
