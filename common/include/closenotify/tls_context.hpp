// TLS settings for both programs: TLS 1.2 minimum, AEAD suites with ECDHE (X25519, P-256),
// no renegotiation, no compression; the client verifies peer and host name by default.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "closenotify/asio.hpp"

namespace closenotify {

// ALPN names the server selects: the line protocol, and HTTP/1.1 (never h2). Any other ALPN
// means raw echo; none lets the first bytes choose between HTTP and raw echo.
inline constexpr std::string_view alpn_line_protocol = "closenotify/1";
inline constexpr std::string_view alpn_http = "http/1.1";

struct server_tls_config {
  std::string cert_chain_pem;  // leaf first
  std::string key_pem;
  std::string client_ca_file;        // empty: no client certificates asked for
  bool require_client_cert = false;  // mTLS: refuse a client without a valid certificate
  unsigned session_tickets = 0;      // TLS 1.3 tickets per full handshake; 0: no resumption
};

struct client_tls_config {
  bool verify_peer = true;  // --insecure turns it off, loudly
  std::string ca_file;      // empty: the system trust store (unless ca_path is set)
  std::string ca_path;
  std::string cert_file;  // client certificate for mTLS
  std::string key_file;
  std::vector<std::string> alpn;
  int min_version = 12;  // 12 or 13
};

// Throw std::runtime_error with a message naming what could not be used and why.
ssl::context make_server_context(const server_tls_config& config);
ssl::context make_client_context(const client_tls_config& config);

// Per connection, before the handshake: SNI (for a DNS name, never an IP literal, RFC 6066 3)
// and, when verifying, the RFC 6125 host-name check against the certificate.
void set_client_server_name(tls_stream& stream, const std::string& host, bool verify_host);

// The protocol ALPN selected for this connection; empty when none was.
std::string_view selected_alpn(tls_stream& stream) noexcept;

// Reads a whole file; a clear std::runtime_error when it cannot.
std::string read_file(const std::string& path, std::string_view what);

}  // namespace closenotify
