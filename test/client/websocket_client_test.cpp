// closenotify-cli wss://: against our server's /ws and against a scripted server on Debian's
// python3-websockets (plus a few hand-written frames where it must misbehave). Each test
// asserts how the WebSocket ended: the exit code, the close code each way, the bytes.
#include <csignal>
#include <fstream>

#include <boost/json/parse.hpp>
#include <boost/test/unit_test.hpp>

#include "cli_support.hpp"
#include "closenotify/sha256.hpp"
#include "pty_process.hpp"
#include "server_process.hpp"
#include "tls_peer.hpp"

using namespace closenotify;
using namespace closenotify::test;

namespace {
std::string url(std::uint16_t port, std::string_view path = "/ws") {
  return "wss://localhost:" + std::to_string(port) + std::string(path);
}


bool websocket_open(const child_process& client) {
  return client.wait_for([](const captured& c) { return c.err.find("* WebSocket open") != std::string::npos; }, 20s);
}

boost::json::object json_summary(const std::string& err) {
  const auto at = err.rfind("\n{");
  BOOST_REQUIRE(at != std::string::npos);
  return boost::json::parse(err.substr(at + 1)).as_object();
}

std::string hash_of(std::string_view data) {
  sha256 h;
  h.update(data);
  return h.hex_digest();
}
}  // namespace

BOOST_AUTO_TEST_SUITE(F15_websocket_client_close)

BOOST_AUTO_TEST_CASE(lines_through_our_echo_come_back_and_the_end_of_input_closes_1000_exit_0) {
  server_process server;
  child_process client(piped(cli({"--json", "--cafile", server.cert_path(), url(server.port())})));
  client.write_stdin("one\ntwo\r\nthree");  // the last line without its newline
  client.close_stdin();
  BOOST_TEST(client.wait_exit(20s).value_or(-1) == 0);
  client.wait_for([](const captured& c) { return c.out_closed && c.err_closed; }, 10s);
  const auto out = client.snapshot();
  BOOST_TEST(out.out == "one\ntwo\nthree\n");
  const auto json = json_summary(out.err);
  BOOST_TEST(json.at("protocol").as_string() == "ws");
  BOOST_TEST(json.at("close_reason").as_string() == "clean");
  const auto& ws = json.at("websocket").as_object();
  BOOST_TEST(ws.at("close_code").as_int64() == 1000);
  BOOST_TEST(ws.at("closed_first").as_string() == "client");
  BOOST_TEST(ws.at("messages_sent").as_int64() == 3);
  BOOST_TEST(ws.at("messages_received").as_int64() == 3);
  BOOST_TEST(json.at("bytes_received").as_int64() == 11);  // "one", "two", "three"
  const auto close = server.wait_event("close", [](const event&) { return true; });
  BOOST_TEST(event_string(close, "reason") == "clean");
  BOOST_TEST(event_string(close, "protocol") == "ws");
  BOOST_TEST(server.stop() == 0);
}

BOOST_AUTO_TEST_CASE(ctrl_c_sends_close_1000_at_once_and_exits_0_when_it_is_answered) {
  scripted_web_server peer("echo");
  child_process client(piped(cli({"--cafile", peer.certs.cert, url(peer.port)})));
  BOOST_REQUIRE(websocket_open(client));
  client.write_stdin("hello\n");  // stdin stays open: only the signal ends it
  BOOST_REQUIRE(client.wait_for([](const captured& c) { return c.out == "hello\n"; }, 20s));
  client.send_signal(SIGINT);
  BOOST_TEST(client.wait_exit(20s).value_or(-1) == 0, client.snapshot().err);
  const auto report = peer.report();
  BOOST_TEST(report.at("close_code").as_int64() == 1000);
  BOOST_TEST(report.at("count").as_int64() == 1);
}

BOOST_AUTO_TEST_CASE(a_server_close_other_than_1000_is_answered_and_exits_12_with_its_code_and_reason) {
  for (const auto& [mode, code, reason] : {std::tuple{"close-1001", 1001, "going away"}, std::tuple{"close-4000", 4000, "custom"}}) {
    scripted_web_server peer(mode);
    child_process client(piped(cli({"--json", "--cafile", peer.certs.cert, url(peer.port)})));
    client.write_stdin("hi\n");  // stdin stays open: the server ends it
    BOOST_TEST(client.wait_exit(20s).value_or(-1) == 12, mode);
    client.wait_for([](const captured& c) { return c.err_closed; }, 10s);
    const auto err = client.snapshot().err;
    BOOST_TEST(err.find("closed the WebSocket with " + std::to_string(code) + ": " + reason) != std::string::npos, err);
    const auto json = json_summary(err);
    const auto& ws = json.at("websocket").as_object();
    BOOST_TEST(ws.at("close_code").as_int64() == code);
    BOOST_TEST(ws.at("close_reason").as_string() == reason);
    BOOST_TEST(ws.at("closed_first").as_string() == "server");
    BOOST_TEST(peer.report().at("close_code").as_int64() == code, mode);  // our answer echoes its code
  }
}

BOOST_AUTO_TEST_CASE(a_draining_server_says_1001_and_the_client_exits_12_after_close_notify) {
  server_process server;
  child_process client(piped(cli({"--cafile", server.cert_path(), url(server.port())})));
  BOOST_REQUIRE(websocket_open(client));
  server.signal(SIGTERM);
  BOOST_TEST(client.wait_exit(20s).value_or(-1) == 12);
  const auto err = client.snapshot().err;
  BOOST_TEST(err.find("closed the WebSocket with 1001: server shutting down") != std::string::npos, err);
  BOOST_TEST(server.wait_exit() == 0);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(F16_websocket_client_close_deadline)

BOOST_AUTO_TEST_CASE(a_server_that_never_answers_our_close_frame_is_cut_at_the_shutdown_timeout_exit_9) {
  scripted_web_server peer("never-answer-close");
  child_process client(piped(cli({"--shutdown-timeout", "1s", "--cafile", peer.certs.cert, url(peer.port)})));
  BOOST_REQUIRE(websocket_open(client));
  client.write_stdin("hi\n");
  BOOST_REQUIRE(client.wait_for([](const captured& c) { return c.out == "hi\n"; }, 20s));
  client.send_signal(SIGINT);  // close 1000 now, unanswered
  const auto started = std::chrono::steady_clock::now();
  BOOST_TEST(client.wait_exit(20s).value_or(-1) == 9);
  // Our close frame's second, then close_notify's (nobody answers that either).
  BOOST_TEST((std::chrono::steady_clock::now() - started < 10s));
  const auto err = client.snapshot().err;
  BOOST_TEST(err.find("did not answer our close frame within 1s") != std::string::npos, err);
  const auto report = peer.report();
  BOOST_TEST(report.at("close_code").as_int64() == 1000);
  BOOST_TEST(!report.at("answered").as_bool());
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(websocket_client_exit_codes)

BOOST_AUTO_TEST_CASE(a_refused_upgrade_is_exit_13_with_the_status_and_tls_still_closes_cleanly) {
  scripted_web_server peer("refuse-403");
  child_process client(piped(cli({"--json", "--cafile", peer.certs.cert, url(peer.port)})));
  BOOST_TEST(client.wait_exit(20s).value_or(-1) == 13);
  client.wait_for([](const captured& c) { return c.err_closed; }, 10s);
  const auto err = client.snapshot().err;
  BOOST_TEST(err.find("refused the WebSocket upgrade: HTTP 403 Forbidden") != std::string::npos, err);
  const auto json = json_summary(err);
  BOOST_TEST(json.at("websocket").as_object().at("http_status").as_int64() == 403);
  BOOST_TEST(json.at("close_reason").as_string() == "clean");  // close_notify both ways
  BOOST_TEST(peer.report().at("client_closed").as_bool());
}

BOOST_AUTO_TEST_CASE(a_tcp_drop_in_the_middle_of_a_message_is_exit_7) {
  scripted_web_server peer("drop-mid-message");
  child_process client(piped(cli({"--cafile", peer.certs.cert, url(peer.port)})));
  client.write_stdin("hi\n");
  BOOST_TEST(client.wait_exit(20s).value_or(-1) == 7);
  BOOST_TEST(client.snapshot().out.empty());  // half a message is no message
  BOOST_TEST(peer.report().at("aborted").as_bool());
}

BOOST_AUTO_TEST_CASE(a_path_our_server_does_not_serve_is_a_refused_upgrade_404) {
  server_process server;
  child_process client(piped(cli({"--cafile", server.cert_path(), url(server.port(), "/nope")})));
  BOOST_TEST(client.wait_exit(20s).value_or(-1) == 13);
  BOOST_TEST(client.snapshot().err.find("HTTP 404 Not Found") != std::string::npos);
  BOOST_TEST(server.stop() == 0);
}

BOOST_AUTO_TEST_CASE(ws_urls_and_options_for_the_wrong_target_are_usage_errors) {
  for (const auto& args : {std::vector<std::string>{"ws://localhost/ws"}, std::vector<std::string>{"http://localhost/"},
                           std::vector<std::string>{"--binary", "localhost:4433"},
                           std::vector<std::string>{"--binary", "--text", "wss://localhost/ws"},
                           std::vector<std::string>{"--header", "no colon", "wss://localhost/ws"},
                           std::vector<std::string>{"wss://localhost/ws#fragment"}}) {
    child_process client(piped(cli(args)));
    BOOST_TEST(client.wait_exit(20s).value_or(-1) == 2, args.front());
  }
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(websocket_client_pipe_fidelity)

BOOST_AUTO_TEST_CASE(sixty_four_mib_binary_through_our_echo_arrive_intact_from_a_pipe_and_from_a_file) {
  server_process server;
  std::string payload(64u << 20, '\0');
  std::uint64_t seed = 14;
  fill_random(seed, payload);
  for (const bool from_file : {false, true}) {
    auto options = piped(cli({"--binary", "--quiet", "--cafile", server.cert_path(), url(server.port())}));
    const std::string file = (std::filesystem::temp_directory_path() / "closenotify-ws-payload.bin").string();
    if (from_file) {
      std::ofstream(file, std::ios::binary) << payload;
      options.pipe_stdin = false;
      options.stdin_file = file;
    }
    child_process client(std::move(options));
    if (!from_file) {
      client.write_stdin(payload);
      client.close_stdin();
    }
    BOOST_TEST(client.wait_exit(180s).value_or(-1) == 0, client.snapshot().err);
    client.wait_for([](const captured& c) { return c.out_closed; }, 20s);
    const auto out = client.snapshot().out;
    BOOST_TEST(out.size() == payload.size());
    BOOST_TEST(hash_of(out) == hash_of(payload));
    if (from_file) std::filesystem::remove(file);
  }
  BOOST_TEST(server.stop() == 0);
}

BOOST_AUTO_TEST_SUITE_END()

// At a keyboard, in a real pseudo-terminal.
BOOST_AUTO_TEST_SUITE(websocket_client_terminal)

BOOST_AUTO_TEST_CASE(typed_lines_are_messages_and_slash_quit_sends_close_1000_exit_0) {
  server_process server;
  // /ws/status answers every message with the counters: a reply the typed line cannot fake.
  pty_process client(cli({"--cafile", server.cert_path(), url(server.port(), "/ws/status")}));
  BOOST_REQUIRE_MESSAGE(client.wait_for("each line is a text message", 20s), client.screen());
  BOOST_REQUIRE_MESSAGE(client.wait_for("> ", 20s), client.screen());
  client.type("counters?\r");
  BOOST_REQUIRE_MESSAGE(client.wait_for("\"closed_total\":", 20s), client.screen());
  client.type("/quit\r");
  BOOST_TEST(client.wait_exit(20s).value_or(-1) == 0, client.screen());
  BOOST_TEST(client.screen().find("closed: close 1000 answered") != std::string::npos, client.screen());
  BOOST_TEST(event_string(server.wait_event("close", [](const event&) { return true; }), "reason") == "clean");
  BOOST_TEST(server.stop() == 0);
}

BOOST_AUTO_TEST_CASE(ctrl_c_sends_close_1000_and_a_second_ctrl_c_cuts_the_wait_for_its_answer_exit_130) {
  scripted_web_server peer("never-answer-close");
  pty_process client(cli({"--shutdown-timeout", "30s", "--cafile", peer.certs.cert, url(peer.port)}));
  BOOST_REQUIRE_MESSAGE(client.wait_for("each line is a text message", 20s), client.screen());
  client.type("\x03");  // close 1000, which this server never answers
  BOOST_REQUIRE_MESSAGE(client.wait_for("interrupted: closing the connection (again to abort)", 20s), client.screen());
  // The server has our close frame (its report says so) and says nothing: the second cuts.
  BOOST_REQUIRE(peer.process.wait_for([](const captured& c) { return c.out.find("\"close_code\"") != std::string::npos; }, 20s));
  client.type("\x03");
  BOOST_TEST(client.wait_exit(20s).value_or(-1) == 130, client.screen());
  BOOST_TEST(peer.report().at("close_code").as_int64() == 1000);
}

BOOST_AUTO_TEST_SUITE_END()
