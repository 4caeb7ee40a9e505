// Real TLS peers from Debian packages against the real server: each conversation ends with
// a clean close on both sides, and neither side prints an error.
#include <csignal>
#include <filesystem>
#include <fstream>

#include <unistd.h>

#include <boost/test/unit_test.hpp>

#include "server_process.hpp"

using namespace closenotify::test;

namespace {
bool has_error_line(const std::string& text) {
  for (std::size_t start = 0; start < text.size();) {
    auto end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    const std::string line = text.substr(start, end - start);
    if (line.find("error") != std::string::npos || line.find("errno") != std::string::npos) return true;
    start = end + 1;
  }
  return false;
}

bool stdout_has(const child_process& peer, std::string_view text, std::chrono::milliseconds timeout = 20s) {
  return peer.wait_for([&](const captured& c) { return c.out.find(text) != std::string::npos; }, timeout);
}

std::vector<std::string> s_client(const server_process& server, std::vector<std::string> extra = {}) {
  std::vector<std::string> argv{"openssl", "s_client", "-connect", "127.0.0.1:" + std::to_string(server.port()),
                                "-CAfile", server.cert_path(), "-verify_return_error", "-verify_hostname", "localhost",
                                "-servername", "localhost", "-quiet", "-no_ign_eof"};
  argv.insert(argv.end(), extra.begin(), extra.end());
  return argv;
}

// The close event of the one connection the test made.
std::string only_close_reason(const server_process& server) {
  return event_string(server.wait_event("close", [](const event&) { return true; }), "reason");
}

// A peer that echoes one line through the server, then meets end of input: it must close
// with close_notify (server: clean) and exit 0 without an error line.
void expect_echo_then_clean_close(server_process& server, std::vector<std::string> argv, const std::string& line) {
  child_process peer(piped(std::move(argv)));
  peer.write_stdin(line);
  BOOST_REQUIRE(stdout_has(peer, line));
  peer.close_stdin();
  BOOST_TEST(peer.wait_exit(20s).value_or(-1) == 0);
  BOOST_TEST(only_close_reason(server) == "clean");
  BOOST_TEST(!has_error_line(peer.snapshot().err), peer.snapshot().err);
  BOOST_TEST(server.stop() == 0);
}

// Runs an openssl command to its end; the test fails if it does not succeed.
void openssl(std::vector<std::string> args) {
  args.insert(args.begin(), "openssl");
  child_process tool(piped(args));
  tool.close_stdin();
  BOOST_REQUIRE_MESSAGE(tool.wait_exit(20s).value_or(-1) == 0, tool.snapshot().err);
}

// How many certificates the server sends, as s_client -showcerts prints them; the chain must
// also verify against ca_file.
std::size_t certificates_sent(const server_process& server, const std::string& ca_file) {
  child_process peer(piped({"openssl", "s_client", "-connect", "127.0.0.1:" + std::to_string(server.port()),
                            "-CAfile", ca_file, "-verify_return_error", "-verify_hostname", "localhost",
                            "-servername", "localhost", "-showcerts", "-no_ign_eof"}));
  BOOST_TEST(stdout_has(peer, "Verify return code: 0 (ok)"), peer.snapshot().out);
  peer.close_stdin();
  BOOST_TEST(peer.wait_exit(20s).value_or(-1) == 0);
  const std::string out = peer.snapshot().out;
  std::size_t count = 0;
  for (auto at = out.find("-----BEGIN CERTIFICATE-----"); at != std::string::npos;
       at = out.find("-----BEGIN CERTIFICATE-----", at + 1))
    ++count;
  return count;
}
}  // namespace

BOOST_AUTO_TEST_SUITE(openssl_s_client)

BOOST_AUTO_TEST_CASE(raw_echo_then_end_of_input_closes_clean) {
  server_process server;
  expect_echo_then_clean_close(server, s_client(server), "hello over tls\n");
}

BOOST_AUTO_TEST_CASE(line_protocol_quit_gets_bye_and_s_client_ends_without_error) {
  server_process server;
  child_process peer(piped(s_client(server, {"-alpn", "closenotify/1"})));
  peer.write_stdin("/ping\n/quit\n");
  BOOST_REQUIRE(stdout_has(peer, "PONG\nBYE\n"));
  // The server's close_notify ends s_client; its stdin is still open.
  BOOST_TEST(peer.wait_exit(20s).value_or(-1) == 0);
  BOOST_TEST(only_close_reason(server) == "clean");
  BOOST_TEST(!has_error_line(peer.snapshot().err), peer.snapshot().err);
  BOOST_TEST(server.stop() == 0);
}

BOOST_AUTO_TEST_CASE(by_default_no_ticket_is_sent_so_there_is_nothing_to_resume) {
  server_process server;
  const std::string session = server.cert_path() + ".session";
  child_process peer(piped(s_client(server, {"-msg", "-sess_out", session})));
  peer.write_stdin("first\n");
  BOOST_REQUIRE(stdout_has(peer, "first\n"));
  peer.close_stdin();
  BOOST_TEST(peer.wait_exit(20s).value_or(-1) == 0);
  BOOST_TEST(peer.snapshot().out.find("NewSessionTicket") == std::string::npos, peer.snapshot().out);
  // s_client writes a TLS 1.3 session only when a ticket arrives.
  BOOST_TEST(!std::filesystem::exists(session));
  BOOST_TEST(only_close_reason(server) == "clean");
  BOOST_TEST(server.stop() == 0);
}

BOOST_AUTO_TEST_CASE(with_session_tickets_the_ticket_resumes_the_next_connection) {
  // The server keeps no session cache: resumption rides on the ticket alone.
  server_process server({"--session-tickets", "1"});
  const std::string session = server.cert_path() + ".session";
  {
    child_process first(piped(s_client(server, {"-sess_out", session})));
    first.write_stdin("first\n");
    BOOST_REQUIRE(stdout_has(first, "first\n"));
    first.close_stdin();
    BOOST_TEST(first.wait_exit(20s).value_or(-1) == 0);
  }
  auto argv = s_client(server, {"-sess_in", session});
  std::erase(argv, "-quiet");  // the session report ("Reused, ...") is what we read
  child_process second(piped(std::move(argv)));
  BOOST_TEST(stdout_has(second, "Reused, TLSv1.3"), second.snapshot().out);
  second.close_stdin();
  BOOST_TEST(second.wait_exit(20s).value_or(-1) == 0);
  BOOST_TEST(server.stop() == 0);
}

BOOST_AUTO_TEST_CASE(the_server_picks_aes_128_gcm_unless_the_client_puts_chacha20_first) {
  server_process server;
  const auto negotiated = [&](std::vector<std::string> extra) {
    auto argv = s_client(server, std::move(extra));
    std::erase(argv, "-quiet");  // the session report ("Cipher is ...") is what we read
    child_process peer(piped(std::move(argv)));
    BOOST_TEST(stdout_has(peer, "Cipher is "), peer.snapshot().out);
    peer.close_stdin();
    BOOST_TEST(peer.wait_exit(20s).value_or(-1) == 0);
    const std::string out = peer.snapshot().out;
    const auto at = out.find("Cipher is ");
    return at == std::string::npos ? std::string{} : out.substr(at + 10, out.find('\n', at) - at - 10);
  };
  // s_client offers OpenSSL's order, AES-256-GCM first: the server's own order decides.
  BOOST_TEST(negotiated({}) == "TLS_AES_128_GCM_SHA256");
  BOOST_TEST(negotiated({"-ciphersuites", "TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256"}) ==
             "TLS_CHACHA20_POLY1305_SHA256");
  BOOST_TEST(server.stop() == 0);
}

BOOST_AUTO_TEST_CASE(the_chain_sent_is_the_one_in_cert_never_completed_from_the_client_ca_store) {
  // A leaf issued by a CA that is also the --client-ca: OpenSSL's automatic chain building
  // would look the issuer up in the verify store and send it (and pay for a verification on
  // every handshake). The server sends what --cert holds, no more and no less.
  const auto dir = std::filesystem::temp_directory_path() / ("closenotify-chain-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const auto at = [&](const char* name) { return (dir / name).string(); };
  openssl({"req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", at("ca.key"),
           "-out", at("ca.pem"), "-subj", "/CN=closenotify test CA", "-days", "1"});
  openssl({"req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout",
           at("leaf.key"), "-out", at("leaf.csr"), "-subj", "/CN=localhost"});
  std::ofstream(at("leaf.ext")) << "subjectAltName=DNS:localhost\n";
  openssl({"x509", "-req", "-in", at("leaf.csr"), "-CA", at("ca.pem"), "-CAkey", at("ca.key"), "-CAcreateserial",
           "-out", at("leaf.pem"), "-days", "1", "-extfile", at("leaf.ext")});
  {
    std::ofstream chain(at("chain.pem"));
    chain << std::ifstream(at("leaf.pem")).rdbuf() << std::ifstream(at("ca.pem")).rdbuf();
  }
  {
    server_process leaf_only({"--cert", at("leaf.pem"), "--key", at("leaf.key"), "--client-ca", at("ca.pem")});
    BOOST_TEST(certificates_sent(leaf_only, at("ca.pem")) == 1u);
    BOOST_TEST(leaf_only.stop() == 0);
  }
  {
    server_process with_chain({"--cert", at("chain.pem"), "--key", at("leaf.key")});
    BOOST_TEST(certificates_sent(with_chain, at("ca.pem")) == 2u);
    BOOST_TEST(with_chain.stop() == 0);
  }
  std::filesystem::remove_all(dir);
}

BOOST_AUTO_TEST_CASE(a_requested_key_update_is_answered_and_the_echo_goes_on) {
  // RFC 8446 4.6.3: a KeyUpdate with update_requested must be answered with one of ours
  // before our next application data; the echo after it travels under the new keys.
  server_process server;
  child_process peer(piped(s_client(server, {"-msg"})));
  peer.write_stdin("before\n");
  BOOST_REQUIRE(stdout_has(peer, "before\n"));
  peer.write_stdin("K\n");  // s_client: send KeyUpdate, update_requested
  BOOST_REQUIRE(stdout_has(peer, ">>> TLS 1.3, Handshake [length 0005], KeyUpdate"));
  peer.write_stdin("after\n");
  BOOST_REQUIRE(stdout_has(peer, "after\n"));
  const std::string out = peer.snapshot().out;
  const auto answered = out.find("<<< TLS 1.3, Handshake [length 0005], KeyUpdate");
  BOOST_TEST((answered != std::string::npos && answered < out.rfind("after\n")), out);
  peer.close_stdin();
  BOOST_TEST(peer.wait_exit(20s).value_or(-1) == 0);
  BOOST_TEST(only_close_reason(server) == "clean");
  BOOST_TEST(!has_error_line(peer.snapshot().err), peer.snapshot().err);
  BOOST_TEST(server.stop() == 0);
}

BOOST_AUTO_TEST_CASE(sigterm_on_the_server_ends_s_client_cleanly) {
  server_process server;
  child_process peer(piped(s_client(server)));
  peer.write_stdin("before the drain\n");
  BOOST_REQUIRE(stdout_has(peer, "before the drain\n"));
  server.signal(SIGTERM);
  BOOST_TEST(peer.wait_exit(20s).value_or(-1) == 0);
  BOOST_TEST(server.wait_exit() == 0);
  BOOST_TEST(only_close_reason(server) == "server_shutdown");
  BOOST_TEST(!has_error_line(peer.snapshot().err), peer.snapshot().err);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(gnutls_cli)

BOOST_AUTO_TEST_CASE(echo_then_end_of_input_closes_clean) {
  server_process server;
  expect_echo_then_clean_close(server,
                               {"gnutls-cli", "--x509cafile", server.cert_path(), "--port",
                                std::to_string(server.port()), "--verify-hostname", "localhost", "127.0.0.1"},
                               "hello from gnutls\n");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(socat_openssl)

BOOST_AUTO_TEST_CASE(echo_then_end_of_input_closes_clean) {
  server_process server;
  expect_echo_then_clean_close(server,
                               {"socat", "-", "OPENSSL:127.0.0.1:" + std::to_string(server.port()) +
                                                  ",cafile=" + server.cert_path() + ",commonname=localhost"},
                               "hello from socat\n");
}

BOOST_AUTO_TEST_SUITE_END()
