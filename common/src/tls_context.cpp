#include "closenotify/tls_context.hpp"

#include "closenotify/tls_stream.hpp"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include <boost/asio/ip/address.hpp>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

namespace closenotify {

namespace {
// TLS 1.2 suites: forward secrecy and AEAD only. TLS 1.3 suites are all AEAD already.
constexpr const char* tls12_ciphers =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";
// TLS 1.3, the server's order: AES-128-GCM first, as BoringSSL and Mozilla's guidelines have
// it. Its SHA-256 runs on the CPU's SHA extensions at twice SHA-384's speed (the whole key
// schedule is HMAC), and AES-256 adds nothing to a connection whose key exchange is 128-bit
// (X25519, P-256).
constexpr const char* tls13_ciphersuites =
    "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256";
constexpr const char* groups = "X25519:P-256";

// Wire format (length-prefixed) of what the server implements, in its order of preference.
// In our order of preference; h2 is never offered back.
constexpr unsigned char server_alpn[] = {13,  'c', 'l', 'o', 's', 'e', 'n', 'o', 't', 'i', 'f', 'y', '/', '1',
                                         8,   'h', 't', 't', 'p', '/', '1', '.', '1'};

[[noreturn]] void fail(std::string_view what, const std::string& detail) {
  throw std::runtime_error(std::string(what) + ": " + detail);
}

std::string openssl_error_text() {
  const unsigned long e = ERR_get_error();
  ERR_clear_error();
  if (e == 0) return "unknown OpenSSL error";
  char buf[256];
  ERR_error_string_n(e, buf, sizeof buf);
  return buf;
}

void apply_common(ssl::context& ctx, int min_version) {
  SSL_CTX* native = ctx.native_handle();
  ctx.set_options(ssl::context::default_workarounds | ssl::context::no_compression | SSL_OP_NO_RENEGOTIATION);
  if (SSL_CTX_set_min_proto_version(native, min_version == 13 ? TLS1_3_VERSION : TLS1_2_VERSION) != 1 ||
      SSL_CTX_set_cipher_list(native, tls12_ciphers) != 1 || SSL_CTX_set1_groups_list(native, groups) != 1)
    fail("TLS settings", openssl_error_text());
  // Idle connections give their read/write buffers back to the allocator.
  SSL_CTX_set_mode(native, SSL_MODE_RELEASE_BUFFERS);
}

int select_alpn(SSL*, const unsigned char** out, unsigned char* outlen, const unsigned char* in, unsigned int inlen, void*) {
  unsigned char* selected = nullptr;
  if (SSL_select_next_proto(&selected, outlen, server_alpn, sizeof server_alpn, in, inlen) != OPENSSL_NPN_NEGOTIATED)
    return SSL_TLSEXT_ERR_NOACK;  // no common protocol: go on without ALPN (raw echo)
  *out = selected;
  return SSL_TLSEXT_ERR_OK;
}

template <class Load>
void load_or_fail(std::string_view what, Load&& load) {
  try {
    load();
  } catch (const boost::system::system_error& e) {
    fail(what, e.code().message());
  }
}
}  // namespace

std::string read_file(const std::string& path, std::string_view what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) fail(std::string("cannot read ") + std::string(what) + " " + path, std::strerror(errno));
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

ssl::context make_server_context(const server_tls_config& config) {
  ssl::context ctx(ssl::context::tls_server);
  apply_common(ctx, 12);
  SSL_CTX* native = ctx.native_handle();
  // Our order decides, except that a client asking for ChaCha20 first (no AES hardware) gets it.
  SSL_CTX_set_options(native, SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_PRIORITIZE_CHACHA);
  if (SSL_CTX_set_ciphersuites(native, tls13_ciphersuites) != 1) fail("TLS settings", openssl_error_text());
  load_or_fail("server certificate", [&] { ctx.use_certificate_chain(asio::buffer(config.cert_chain_pem)); });
  load_or_fail("server private key", [&] { ctx.use_private_key(asio::buffer(config.key_pem), ssl::context::pem); });
  if (SSL_CTX_check_private_key(native) != 1) fail("server private key", "does not match the certificate");
  // The chain sent is the one in --cert, as given. Without this, a --cert with no
  // intermediates makes OpenSSL build a chain from the verify store on every handshake
  // (an X509_STORE_CTX and a verification each time), and would send client CAs with it.
  SSL_CTX_set_mode(native, SSL_MODE_NO_AUTO_CHAIN);

  static constexpr unsigned char sid_ctx[] = "closenotify";
  SSL_CTX_set_session_id_context(native, sid_ctx, sizeof sid_ctx - 1);
  // Resumption, when wanted, rides on stateless tickets; a server-side cache would only cost
  // an insert per handshake and a periodic sweep of the whole table.
  SSL_CTX_set_session_cache_mode(native, SSL_SESS_CACHE_OFF);
  // No tickets unless asked for. Each costs the server about a tenth of a full handshake
  // (the session encoded, decoded and encoded again, then encrypted and MACed), and a client
  // that closes without reading one turns its close into a reset (RFC 8446 4.6.1 lets the
  // server send them at any time; OpenSSL sends them right after the handshake).
  SSL_CTX_set_num_tickets(native, config.session_tickets);
  if (config.session_tickets == 0) SSL_CTX_set_options(native, SSL_OP_NO_TICKET);  // TLS 1.2 too
  SSL_CTX_set_alpn_select_cb(native, select_alpn, nullptr);

  if (!config.client_ca_file.empty()) {
    load_or_fail("client CA file " + config.client_ca_file, [&] { ctx.load_verify_file(config.client_ca_file); });
    STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(config.client_ca_file.c_str());
    if (names) SSL_CTX_set_client_CA_list(native, names);
    ctx.set_verify_mode(config.require_client_cert ? ssl::verify_peer | ssl::verify_fail_if_no_peer_cert
                                                   : ssl::verify_peer);
  } else if (config.require_client_cert) {
    fail("client certificates", "--require-client-cert needs --client-ca");
  }
  return ctx;
}

ssl::context make_client_context(const client_tls_config& config) {
  ssl::context ctx(ssl::context::tls_client);
  apply_common(ctx, config.min_version);
  if (config.verify_peer) {
    ctx.set_verify_mode(ssl::verify_peer);
    if (!config.ca_file.empty())
      load_or_fail("CA file " + config.ca_file, [&] { ctx.load_verify_file(config.ca_file); });
    if (!config.ca_path.empty())
      load_or_fail("CA path " + config.ca_path, [&] { ctx.add_verify_path(config.ca_path); });
    if (config.ca_file.empty() && config.ca_path.empty())
      load_or_fail("system trust store", [&] { ctx.set_default_verify_paths(); });
  } else {
    ctx.set_verify_mode(ssl::verify_none);
  }
  if (!config.cert_file.empty() || !config.key_file.empty()) {
    if (config.cert_file.empty() || config.key_file.empty()) fail("client certificate", "--cert and --key go together");
    load_or_fail("client certificate " + config.cert_file, [&] { ctx.use_certificate_chain_file(config.cert_file); });
    load_or_fail("client key " + config.key_file, [&] { ctx.use_private_key_file(config.key_file, ssl::context::pem); });
    if (SSL_CTX_check_private_key(ctx.native_handle()) != 1) fail("client key", "does not match the certificate");
  }
  if (!config.alpn.empty()) {
    std::string wire;
    for (const auto& p : config.alpn) {
      if (p.empty() || p.size() > 255) fail("ALPN", "protocol names are 1 to 255 bytes");
      wire.push_back(static_cast<char>(p.size()));
      wire += p;
    }
    if (SSL_CTX_set_alpn_protos(ctx.native_handle(), reinterpret_cast<const unsigned char*>(wire.data()),
                                static_cast<unsigned int>(wire.size())) != 0)
      fail("ALPN", openssl_error_text());
  }
  return ctx;
}

void set_client_server_name(tls_stream& stream, const std::string& host, bool verify_host) {
  error_code ec;
  asio::ip::make_address(host, ec);
  const bool is_ip = !ec;
  if (!is_ip && !host.empty() && SSL_set_tlsext_host_name(stream.native_handle(), host.c_str()) != 1)
    fail("SNI", openssl_error_text());
  // OpenSSL's own check (not a verify callback), so a mismatch reports "hostname mismatch".
  if (verify_host) {
    X509_VERIFY_PARAM* param = SSL_get0_param(stream.native_handle());
    const int ok = is_ip ? X509_VERIFY_PARAM_set1_ip_asc(param, host.c_str()) : SSL_set1_host(stream.native_handle(), host.c_str());
    if (ok != 1) fail("host name check", openssl_error_text());
  }
}

std::string_view selected_alpn(tls_stream& stream) noexcept {
  const unsigned char* data = nullptr;
  unsigned int len = 0;
  SSL_get0_alpn_selected(stream.native_handle(), &data, &len);
  return data ? std::string_view(reinterpret_cast<const char*>(data), len) : std::string_view{};
}

}  // namespace closenotify
