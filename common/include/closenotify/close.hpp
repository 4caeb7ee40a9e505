// The one close path every connection of both programs ends through (DESIGN.md, "How a
// connection ends"). The caller has done step 1: its reads are over, what it owed the peer is
// flushed, and its lifecycle knows (reading_ended). graceful_close carries out the steps the
// lifecycle decides, and reports each outcome back to it:
//   2. TLS shutdown: close_notify, with our FIN in the same segment (nothing may follow the
//      alert, RFC 8446 6.1), then the peer's close_notify awaited;
//   3. linger: shutdown(SHUT_WR), input drained and discarded until FIN, so the kernel never
//      answers our close() with RST while the peer still reads (seed 002);
//   4. close the socket, once.
// Each step's deadline is the lifecycle's: the driver's deadline (re-armed here at every step)
// calls its tick(), and a `cancel_close` action must emit `cancel`. Step 5, recording the
// reason, is the caller's: the lifecycle holds it (reason(), detail()).
#pragma once

#include "closenotify/asio.hpp"
#include "closenotify/connection_lifecycle.hpp"
#include "closenotify/deadline.hpp"
#include "closenotify/tls_stream.hpp"

namespace closenotify {

asio::awaitable<void> graceful_close(tls_stream& stream, connection_lifecycle& lifecycle, deadline& timer,
                                     asio::cancellation_signal& cancel);

// TLS half-close (RFC 8446 6.1): send our close_notify now, without waiting for the peer's,
// while a reader keeps receiving. async_shutdown cannot do this: it also reads, and
// OpenSSL fails a shutdown that meets application data ("application data after close
// notify"), losing what the peer still sends. Afterwards SSL_read goes on delivering the
// peer's data until its close_notify (eof). Call it with no write in progress: a record
// half-written ahead of the alert would be cut. A peer that stops reading holds the alert
// back: the caller's deadline cancels the wait through `slot` (TLS is over then).
asio::awaitable<error_code> send_close_notify(tls_stream& stream, asio::cancellation_slot slot = {});

}  // namespace closenotify
