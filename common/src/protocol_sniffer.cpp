#include "closenotify/protocol_sniffer.hpp"

namespace closenotify {

namespace {
constexpr std::string_view methods[] = {"GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH"};

// How the bytes before the first space compare with the methods.
enum class method_match { none, prefix, whole };

method_match match_method(std::string_view word) noexcept {
  method_match best = method_match::none;
  for (std::string_view m : methods) {
    if (m == word) return method_match::whole;
    if (m.starts_with(word)) best = method_match::prefix;
  }
  return best;
}

bool is_letter(char c) noexcept { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

// A request-target byte: visible ASCII (RFC 9112 3.2); SP ends it.
bool is_target_char(char c) noexcept { return c > ' ' && c < 0x7f; }
}  // namespace

sniffed_protocol sniff_protocol(std::string_view in, std::size_t max_line) noexcept {
  using enum sniffed_protocol;
  // method
  const std::size_t space = in.find(' ');
  const method_match method = match_method(in.substr(0, space));
  if (method == method_match::none) return raw;
  if (space == std::string_view::npos) return need_more;
  if (method != method_match::whole) return raw;
  std::size_t i = space + 1;
  // request-target
  if (i == in.size()) return need_more;
  if (!(in[i] == '/' || in[i] == '*' || is_letter(in[i]))) return raw;
  while (i < in.size() && is_target_char(in[i])) {
    if (++i >= max_line) return raw;
  }
  if (i == in.size()) return need_more;
  if (in[i] != ' ') return raw;
  ++i;
  // HTTP-version, then the line's end
  constexpr std::string_view version = "HTTP/1.";
  for (std::size_t v = 0; v < version.size(); ++v, ++i) {
    if (i == in.size()) return need_more;
    if (in[i] != version[v]) return raw;
  }
  if (i == in.size()) return need_more;
  if (in[i] < '0' || in[i] > '9') return raw;
  ++i;
  if (i == in.size()) return need_more;
  if (in[i] == '\n') return http;
  if (in[i] != '\r') return raw;
  ++i;
  if (i == in.size()) return need_more;
  return in[i] == '\n' ? http : raw;
}

}  // namespace closenotify
