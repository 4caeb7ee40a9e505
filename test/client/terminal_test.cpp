// The interactive case, in a real pseudo-terminal: what a person at a keyboard sees.
#include <boost/test/unit_test.hpp>

#include "cli_support.hpp"
#include "pty_process.hpp"
#include "server_process.hpp"

using namespace closenotify::test;

BOOST_AUTO_TEST_SUITE(client_terminal)

BOOST_AUTO_TEST_CASE(typed_lines_are_answered_and_slash_quit_exits_0) {
  server_process server;
  pty_process client(cli({"--cafile", server.cert_path(), "localhost:" + std::to_string(server.port())}));
  BOOST_REQUIRE_MESSAGE(client.wait_for("/quit, Ctrl-D or Ctrl-C ends", 20s), client.screen());
  BOOST_REQUIRE_MESSAGE(client.wait_for("> ", 20s), client.screen());  // the prompt
  client.type("/ping\r");
  BOOST_REQUIRE_MESSAGE(client.wait_for("PONG", 20s), client.screen());
  BOOST_REQUIRE_MESSAGE(client.wait_for("> ", 20s), client.screen());  // and again after the answer
  client.type("/quit\r");
  BOOST_REQUIRE_MESSAGE(client.wait_for("BYE", 20s), client.screen());
  BOOST_TEST(client.wait_exit(20s).value_or(-1) == 0, client.screen());
  BOOST_TEST(client.screen().find("closenotify-cli:") == std::string::npos, client.screen());
  BOOST_TEST(event_string(server.wait_event("close", [](const event&) { return true; }), "reason") == "clean");
  BOOST_TEST(server.stop() == 0);
}

BOOST_AUTO_TEST_CASE(ctrl_d_with_a_read_pending_exits_0) {
  server_process server;
  pty_process client(cli({"--cafile", server.cert_path(), "localhost:" + std::to_string(server.port())}));
  BOOST_REQUIRE_MESSAGE(client.wait_for("/quit, Ctrl-D or Ctrl-C ends", 20s), client.screen());
  client.type("\x04");  // end of input at the start of a line
  BOOST_TEST(client.wait_exit(20s).value_or(-1) == 0, client.screen());
  BOOST_TEST(client.screen().find("closed: clean") != std::string::npos, client.screen());
  BOOST_TEST(event_string(server.wait_event("close", [](const event&) { return true; }), "reason") == "clean");
  BOOST_TEST(server.stop() == 0);
}

BOOST_AUTO_TEST_SUITE_END()
