// Without ALPN, an HTTP request line selects HTTP and anything else raw echo, decided at the
// first byte that settles it.
#include <boost/test/unit_test.hpp>

#include <string>

#include "closenotify/protocol_sniffer.hpp"

using namespace closenotify;
using enum sniffed_protocol;

namespace {
constexpr std::size_t limit = 8192;

const char* name(sniffed_protocol p) { return p == http ? "http" : p == raw ? "raw" : "need_more"; }

// Every prefix of an HTTP request line needs more; the line itself is HTTP.
void check_request_line(const std::string& line) {
  for (std::size_t n = 0; n < line.size(); ++n)
    BOOST_TEST((sniff_protocol(std::string_view(line).substr(0, n), limit) == need_more), line.substr(0, n));
  BOOST_TEST((sniff_protocol(line, limit) == http), line);
}
}  // namespace

BOOST_AUTO_TEST_SUITE(protocol_sniffing)

BOOST_AUTO_TEST_CASE(request_lines_are_http_and_each_of_their_prefixes_waits) {
  check_request_line("GET / HTTP/1.1\r\n");
  check_request_line("GET /healthz HTTP/1.0\r\n");
  check_request_line("POST /upload?x=1 HTTP/1.1\n");  // bare LF tolerated
  check_request_line("OPTIONS * HTTP/1.1\r\n");
  check_request_line("CONNECT example.org:443 HTTP/1.1\r\n");
  check_request_line("GET http://example.org/ HTTP/1.1\r\n");
}

BOOST_AUTO_TEST_CASE(anything_else_is_raw_as_soon_as_a_byte_settles_it) {
  const struct {
    std::string bytes;
  } rows[] = {
      {"\x16\x03\x01"},                    // binary from the first byte
      {"hello\n"},                         // a line with no space
      {"hello world\n"},                   // no version
      {"GET / HTTP/2\r\n"},                // not HTTP/1.x
      {"GET / HTTP/1.1 \r\n"},             // trailing space
      {"GET  / HTTP/1.1\r\n"},             // two spaces
      {"GET / HTTP/1.1\rX"},               // CR without LF
      {" GET / HTTP/1.1\r\n"},             // leading space
      {"GET \x01"},                        // a target that is not text
      {"GET 1 HTTP/1.1\r\n"},              // a target of no known form
      {"mmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmm"},  // the benchmark's message: a method too long
      {"/ping\n"},                         // the line protocol's commands
      {"hello"},                           // text: no method begins so
      {"GETS / HTTP/1.1\r\n"},             // not a method
      {"get / HTTP/1.1\r\n"},              // methods are case-sensitive
      {"M-SEARCH * HTTP/1.1\r\n"},         // SSDP, not HTTP
  };
  for (const auto& r : rows) BOOST_TEST((sniff_protocol(r.bytes, limit) == raw), r.bytes << ": " << name(sniff_protocol(r.bytes, limit)));
}

BOOST_AUTO_TEST_CASE(a_request_line_longer_than_the_limit_is_raw) {
  const std::string line = "GET /" + std::string(100, 'a') + " HTTP/1.1\r\n";
  BOOST_TEST((sniff_protocol(line, 64) == raw));
  BOOST_TEST((sniff_protocol(line, 200) == http));
}

BOOST_AUTO_TEST_CASE(the_bytes_after_the_line_do_not_matter) {
  BOOST_TEST((sniff_protocol("GET / HTTP/1.1\r\nHost: x\r\n\r\n", limit) == http));
  BOOST_TEST((sniff_protocol("hello\nGET / HTTP/1.1\r\n", limit) == raw));
}

BOOST_AUTO_TEST_SUITE_END()
