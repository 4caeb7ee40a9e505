// Which protocol a connection without ALPN speaks, from its first bytes: an HTTP/1.x request
// line selects HTTP; anything else is raw echo. Socket-free: the session feeds it what it has
// read so far and waits for more only while the bytes could still begin a request line.
//
// The rule (RFC 9112 3): method SP request-target SP "HTTP/1." DIGIT, then CRLF (a bare LF is
// tolerated, as RFC 9112 2.2 allows). The method is one of RFC 9110's (GET HEAD POST PUT
// DELETE CONNECT OPTIONS TRACE) or PATCH; the target starts with '/' (origin form), '*'
// (asterisk form) or a letter (absolute and authority forms); the whole line fits in the
// header limit. Raw echo is decided at the first byte that cannot continue such a line:
// binary data and text are echoed at once, a line that begins like a request at its end.
#pragma once

#include <cstddef>
#include <string_view>

namespace closenotify {

enum class sniffed_protocol { need_more, raw, http };

sniffed_protocol sniff_protocol(std::string_view first_bytes, std::size_t max_line) noexcept;

}  // namespace closenotify
