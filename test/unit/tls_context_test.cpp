#include <boost/test/unit_test.hpp>

#include <fstream>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "closenotify/self_signed_cert.hpp"
#include "closenotify/tls_context.hpp"

using namespace closenotify;

namespace {
server_tls_config ephemeral_server() {
  auto pem = make_localhost_certificate();
  server_tls_config c;
  c.cert_chain_pem = pem.cert;
  c.key_pem = pem.key;
  return c;
}
}  // namespace

BOOST_AUTO_TEST_SUITE(tls_context_options)

BOOST_AUTO_TEST_CASE(server_refuses_tls_1_0_and_1_1) {
  auto ctx = make_server_context(ephemeral_server());
  BOOST_TEST(SSL_CTX_get_min_proto_version(ctx.native_handle()) == TLS1_2_VERSION);
}

BOOST_AUTO_TEST_CASE(client_refuses_tls_1_0_and_1_1_and_can_require_1_3) {
  auto ctx = make_client_context({});
  BOOST_TEST(SSL_CTX_get_min_proto_version(ctx.native_handle()) == TLS1_2_VERSION);
  client_tls_config c13;
  c13.min_version = 13;
  auto ctx13 = make_client_context(c13);
  BOOST_TEST(SSL_CTX_get_min_proto_version(ctx13.native_handle()) == TLS1_3_VERSION);
}

BOOST_AUTO_TEST_CASE(client_verifies_the_peer_by_default) {
  auto ctx = make_client_context({});
  BOOST_TEST((SSL_CTX_get_verify_mode(ctx.native_handle()) & SSL_VERIFY_PEER) != 0);
}

BOOST_AUTO_TEST_CASE(insecure_client_turns_verification_off) {
  client_tls_config c;
  c.verify_peer = false;
  auto ctx = make_client_context(c);
  BOOST_TEST(SSL_CTX_get_verify_mode(ctx.native_handle()) == SSL_VERIFY_NONE);
}

BOOST_AUTO_TEST_CASE(renegotiation_and_compression_are_off) {
  auto ctx = make_server_context(ephemeral_server());
  const auto options = SSL_CTX_get_options(ctx.native_handle());
  BOOST_TEST((options & SSL_OP_NO_RENEGOTIATION) != 0);
  BOOST_TEST((options & SSL_OP_NO_COMPRESSION) != 0);
}

BOOST_AUTO_TEST_CASE(mtls_requires_a_client_certificate_when_asked) {
  auto pem = make_localhost_certificate();
  const std::string ca_path = "tls_context_test_ca.pem";
  { std::ofstream(ca_path) << pem.cert; }
  auto config = ephemeral_server();
  config.client_ca_file = ca_path;
  config.require_client_cert = true;
  auto ctx = make_server_context(config);
  BOOST_TEST(SSL_CTX_get_verify_mode(ctx.native_handle()) == (SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT));
  std::remove(ca_path.c_str());
}

BOOST_AUTO_TEST_CASE(bad_material_gives_a_clear_error) {
  server_tls_config bad;
  bad.cert_chain_pem = "not a certificate";
  bad.key_pem = "not a key";
  BOOST_CHECK_EXCEPTION(make_server_context(bad), std::runtime_error,
                        [](const std::runtime_error& e) { return std::string(e.what()).find("server certificate") == 0; });
  auto mismatched = ephemeral_server();
  mismatched.key_pem = make_localhost_certificate().key;
  BOOST_CHECK_THROW(make_server_context(mismatched), std::runtime_error);
  client_tls_config missing;
  missing.ca_file = "/nonexistent/ca.pem";
  BOOST_CHECK_THROW(make_client_context(missing), std::runtime_error);
  BOOST_CHECK_THROW(read_file("/nonexistent/file.pem", "certificate"), std::runtime_error);
}

BOOST_AUTO_TEST_CASE(ephemeral_certificate_names_localhost_and_loopback) {
  auto pem = make_localhost_certificate();
  BIO* bio = BIO_new_mem_buf(pem.cert.data(), static_cast<int>(pem.cert.size()));
  X509* cert = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  BOOST_REQUIRE(cert != nullptr);
  BOOST_TEST(X509_check_host(cert, "localhost", 0, 0, nullptr) == 1);
  BOOST_TEST(X509_check_ip_asc(cert, "127.0.0.1", 0) == 1);
  BOOST_TEST(X509_check_ip_asc(cert, "::1", 0) == 1);
  BOOST_TEST(X509_check_host(cert, "example.org", 0, 0, nullptr) != 1);
  EVP_PKEY* key = X509_get0_pubkey(cert);
  BOOST_TEST(EVP_PKEY_is_a(key, "EC"));
  X509_free(cert);
  BOOST_TEST(pem.fingerprint.size() == 95u);  // 32 bytes as AB:CD:..
  BOOST_TEST(pem_fingerprint(pem.cert) == pem.fingerprint);
}

BOOST_AUTO_TEST_SUITE_END()
