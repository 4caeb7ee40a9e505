// F6 and F7, the seed 003 cases: the server quits while the client reads; the user quits
// while a read is pending. Against our server and against openssl s_server.
#include <csignal>

#include <boost/test/unit_test.hpp>

#include "cli_support.hpp"
#include "server_process.hpp"

using namespace closenotify::test;

BOOST_AUTO_TEST_SUITE(F06_quit_from_server)

BOOST_AUTO_TEST_CASE(bye_and_close_notify_end_the_client_with_exit_0) {
  server_process server;
  child_process client(piped(cli({"--cafile", server.cert_path(), "localhost:" + std::to_string(server.port())})));
  client.write_stdin("hello\n/quit\n");  // stdin stays open: the client is reading when BYE comes
  BOOST_TEST(client.wait_exit(20s).value_or(-1) == 0);
  const auto out = client.snapshot();
  BOOST_TEST(out.out == "hello\nBYE\n");
  BOOST_TEST(out.err.find("closenotify-cli:") == std::string::npos, out.err);
  BOOST_TEST(event_string(server.wait_event("close", [](const event&) { return true; }), "reason") == "clean");
  BOOST_TEST(server.stop() == 0);
}

// openssl s_server's Q closes the TCP socket before it calls SSL_shutdown (s_server.c:
// BIO_closesocket, then do_ssl_shutdown), so no close_notify ever leaves it (seen with
// strace). The client must call that what it is: a truncation while data could still come,
// with a calm line and exit 7, not an error trace and not a silent 0.
BOOST_AUTO_TEST_CASE(s_server_quit_without_close_notify_is_reported_calmly_as_truncation) {
  s_server peer;
  child_process client(piped(cli({"--cafile", peer.certs.cert, "localhost:" + std::to_string(peer.port)})));
  BOOST_REQUIRE(client_connected(client));
  peer.process->write_stdin("Q\n");
  BOOST_TEST(client.wait_exit(20s).value_or(-1) == 7);
  const auto err = client.snapshot().err;
  BOOST_TEST(err.find("without close_notify: the data may be incomplete") != std::string::npos, err);
  BOOST_TEST(!has_error_line(err), err);
  BOOST_TEST(peer.process->wait_exit(20s).has_value());
  BOOST_TEST(!has_error_line(peer.output()), peer.output());
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(F07_quit_from_stdin)

BOOST_AUTO_TEST_CASE(ctrl_c_with_a_read_pending_closes_clean_with_exit_0) {
  server_process server;
  child_process client(piped(cli({"--cafile", server.cert_path(), "localhost:" + std::to_string(server.port())})));
  BOOST_REQUIRE(client_connected(client));
  client.send_signal(SIGINT);  // its TLS read is pending: cancel it first, then shut down
  BOOST_TEST(client.wait_exit(20s).value_or(-1) == 0);
  BOOST_TEST(!has_error_line(client.snapshot().err), client.snapshot().err);
  BOOST_TEST(event_string(server.wait_event("close", [](const event&) { return true; }), "reason") == "clean");
  BOOST_TEST(server.stop() == 0);
}

BOOST_AUTO_TEST_CASE(sigterm_against_s_server_gives_no_bad_record_mac) {
  s_server peer;
  child_process client(piped(cli({"--cafile", peer.certs.cert, "localhost:" + std::to_string(peer.port)})));
  BOOST_REQUIRE(client_connected(client));
  client.send_signal(SIGTERM);
  BOOST_TEST(client.wait_exit(20s).value_or(-1) == 0);
  BOOST_TEST(!has_error_line(client.snapshot().err), client.snapshot().err);
  // s_server read our close_notify and answered with its own (its -state trace; the rest of
  // its stdout is block-buffered into a pipe).
  BOOST_REQUIRE_MESSAGE(peer.process->wait_for(
                            [](const captured& c) {
                              return c.out.find("SSL3 alert read:warning:close notify") != std::string::npos &&
                                     c.out.find("SSL3 alert write:warning:close notify") != std::string::npos;
                            },
                            20s),
                        peer.output());
  BOOST_TEST(!has_error_line(peer.output()), peer.output());
}

BOOST_AUTO_TEST_SUITE_END()
