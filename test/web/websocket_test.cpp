// WebSocket on the server's port: against Debian's python3-websockets (a client we did not
// write), and against raw frames written over a TLS socket where a library would refuse to
// misbehave (unmasked frames, bad UTF-8, a peer that never answers our close).
#include <boost/json/parse.hpp>
#include <boost/test/data/test_case.hpp>
#include <boost/test/unit_test.hpp>

#include <csignal>
#include <filesystem>
#include <map>

#include "server_process.hpp"
#include "tls_peer.hpp"
#include "web_support.hpp"

using namespace closenotify;
using namespace closenotify::test;

namespace {
using clock = std::chrono::steady_clock;

std::string wss_url(const server_process& server, std::string_view path) {
  return "wss://localhost:" + std::to_string(server.port()) + std::string(path);
}

// test/web/ws_peer.py, a client on python3-websockets: one JSON object on its last line.
std::vector<std::string> ws_peer(const server_process& server, std::string mode, std::vector<std::string> more = {}) {
  std::vector<std::string> argv{"/usr/bin/python3", CLOSENOTIFY_WS_PEER, std::move(mode), wss_url(server, "/ws"),
                                server.cert_path()};
  argv.insert(argv.end(), more.begin(), more.end());
  return argv;
}

boost::json::object last_json_line(const std::string& out) {
  const auto end = out.find_last_not_of('\n');
  BOOST_REQUIRE_MESSAGE(end != std::string::npos, "no output");
  const auto begin = out.find_last_of('\n', end);
  return boost::json::parse(out.substr(begin == std::string::npos ? 0 : begin + 1, end + 1)).as_object();
}

// --- raw frames, as RFC 6455 5.2 lays them out
enum opcode : std::uint8_t { text = 0x1, binary = 0x2, close_frame = 0x8, ping = 0x9, pong = 0xa };
constexpr std::uint8_t fin = 0x80;

// A client's frame: the first byte as given (FIN, RSV bits, opcode), masked unless told not to.
std::string frame(std::uint8_t first, std::string_view payload, bool masked = true) {
  std::string f(1, static_cast<char>(first));
  const auto mask_bit = static_cast<char>(masked ? 0x80 : 0);
  const std::size_t n = payload.size();
  if (n < 126) {
    f += static_cast<char>(mask_bit | static_cast<char>(n));
  } else if (n <= 0xffff) {
    f += static_cast<char>(mask_bit | 126);
    f += static_cast<char>(n >> 8);
    f += static_cast<char>(n & 0xff);
  } else {
    f += static_cast<char>(mask_bit | 127);
    for (int i = 7; i >= 0; --i) f += static_cast<char>((n >> (8 * i)) & 0xff);
  }
  if (!masked) return f + std::string(payload);
  constexpr char key[4] = {0x37, 0x1f, 0x5a, 0x0c};
  f.append(key, 4);
  for (std::size_t i = 0; i < n; ++i) f += static_cast<char>(payload[i] ^ key[i % 4]);
  return f;
}

std::string close_payload(std::uint16_t code, std::string_view reason = {}) {
  std::string p{static_cast<char>(code >> 8), static_cast<char>(code & 0xff)};
  return p + std::string(reason);
}

struct server_frame {
  std::uint8_t opcode = 0;
  bool fin = false;
  std::string payload;
  std::uint16_t close_code() const {
    return payload.size() < 2 ? 0 : static_cast<std::uint16_t>((std::uint8_t(payload[0]) << 8) | std::uint8_t(payload[1]));
  }
  std::string close_reason() const { return payload.size() < 2 ? "" : payload.substr(2); }
};

// One frame from the server (never masked); `pending` keeps what was read past it.
asio::awaitable<server_frame> read_frame(tls_stream& s, std::string& pending) {
  char buf[16384];
  for (;;) {
    if (pending.size() >= 2) {
      const auto b1 = static_cast<std::uint8_t>(pending[1]);
      BOOST_REQUIRE_MESSAGE((b1 & 0x80) == 0, "a server frame must not be masked");
      std::size_t length = b1 & 0x7f;
      std::size_t at = 2;
      if (length == 126 && pending.size() >= 4) {
        length = (std::size_t(std::uint8_t(pending[2])) << 8) | std::uint8_t(pending[3]);
        at = 4;
      } else if (length == 127 && pending.size() >= 10) {
        length = 0;
        for (int i = 2; i < 10; ++i) length = (length << 8) | std::uint8_t(pending[i]);
        at = 10;
      }
      if ((at > 2 || length < 126) && pending.size() >= at + length) {
        server_frame f{static_cast<std::uint8_t>(pending[0] & 0x0f), (pending[0] & 0x80) != 0, pending.substr(at, length)};
        pending.erase(0, at + length);
        co_return f;
      }
    }
    const std::size_t n = co_await s.async_read_some(asio::buffer(buf), asio::use_awaitable);
    pending.append(buf, n);
  }
}

// RFC 6455 1.3's example key, and what the server must answer to it.
constexpr std::string_view upgrade_key = "dGhlIHNhbXBsZSBub25jZQ==";
constexpr std::string_view upgrade_accept = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";

std::string upgrade_request(std::string_view path, std::string_view version = "13") {
  return "GET " + std::string(path) + " HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
         "Sec-WebSocket-Key: " + std::string(upgrade_key) + "\r\nSec-WebSocket-Version: " + std::string(version) +
         "\r\n\r\n";
}

// The HTTP head of the server's answer; `pending` keeps what followed it.
asio::awaitable<std::string> read_head(tls_stream& s, std::string& pending) {
  char buf[4096];
  for (;;) {
    if (const auto end = pending.find("\r\n\r\n"); end != std::string::npos) {
      std::string head = pending.substr(0, end + 4);
      pending.erase(0, end + 4);
      co_return head;
    }
    const std::size_t n = co_await s.async_read_some(asio::buffer(buf), asio::use_awaitable);
    pending.append(buf, n);
  }
}

// `n` more bytes after the head (a body) into `pending`, then takes them off.
asio::awaitable<std::string> read_body(tls_stream& s, std::string& pending, std::size_t n) {
  char buf[4096];
  while (pending.size() < n) pending.append(buf, co_await s.async_read_some(asio::buffer(buf), asio::use_awaitable));
  std::string body = pending.substr(0, n);
  pending.erase(0, n);
  co_return body;
}

std::size_t content_length(const std::string& head) {
  const auto at = head.find("Content-Length: ");
  return at == std::string::npos ? 0 : std::stoul(head.substr(at + 16));
}

asio::awaitable<tls_stream> websocket_connect(const server_process& server, ssl::context& ctx, std::string& pending,
                                              std::string_view path = "/ws") {
  auto s = co_await tls_connect(server.port(), ctx);
  co_await write_all(s, upgrade_request(path));
  const std::string head = co_await read_head(s, pending);
  BOOST_REQUIRE_MESSAGE(head.starts_with("HTTP/1.1 101 Switching Protocols\r\n"), head);
  BOOST_REQUIRE_MESSAGE(contains(head, "Sec-WebSocket-Accept: " + std::string(upgrade_accept)), head);
  co_return s;
}
}  // namespace

BOOST_AUTO_TEST_SUITE(F15_websocket_close)

BOOST_AUTO_TEST_CASE(python_websockets_echo_in_text_and_binary_and_its_close_1000_is_answered_with_1000) {
  server_process server;
  const auto r = run_to_exit(ws_peer(server, "echo"));
  BOOST_REQUIRE_MESSAGE(r.status == 0, r.output.err);
  const auto result = last_json_line(r.output.out);
  BOOST_TEST(result.at("text").as_string() == "hello, closenotify");
  BOOST_TEST(result.at("binary_ok").as_bool());
  BOOST_TEST(result.at("close_code").as_int64() == 1000);
  const auto close = server.wait_event("close", [](const event&) { return true; });
  BOOST_TEST(event_string(close, "protocol") == "ws");
  BOOST_TEST(event_string(close, "reason") == "clean");
  BOOST_TEST(event_string(close, "detail") == "the peer closed the WebSocket with 1000 (done)");
  BOOST_TEST(server.stop() == 0);
}

BOOST_AUTO_TEST_CASE(an_echo_is_one_record_and_a_close_1000_gets_our_1000_then_close_notify_then_fin_in_that_order) {
  server_process server;
  asio::io_context ioc;
  auto ctx = client_context(server.cert_path(), {"http/1.1"});
  std::uint16_t port = 0;
  run(ioc, [&]() -> asio::awaitable<void> {
    std::string pending;
    auto s = co_await websocket_connect(server, ctx, pending);
    port = local_port(s);
    co_await write_all(s, frame(fin | text, "echo me"));
    // One TLS record holds the frame, header and payload (one SSL_read never spans two).
    char record[64];
    const std::size_t n = co_await s.async_read_some(asio::buffer(record), asio::use_awaitable);
    BOOST_TEST(std::string(record, n) == "\x81\x07" "echo me");
    co_await write_all(s, frame(fin | close_frame, close_payload(1000, "bye")));
    const auto answer = co_await read_frame(s, pending);
    BOOST_TEST(answer.opcode == close_frame);
    BOOST_TEST(answer.close_code() == 1000);
    // Nothing after the close frame but close_notify, then FIN.
    co_await expect_close_notify_and_fin(s, pending);
    const auto [answered] = co_await s.async_shutdown(use_nothrow);  // our close_notify: a clean end for both
    BOOST_TEST(!answered, answered.message());
  });
  const auto close = server.wait_close(port);
  BOOST_TEST(event_string(close, "reason") == "clean");
  BOOST_TEST(server.stop() == 0);
}

BOOST_AUTO_TEST_CASE(sixty_four_mib_each_way_at_once_over_wss_arrive_byte_exact) {
  server_process server;
  const auto r = run_to_exit(ws_peer(server, "bulk", {"64"}));
  BOOST_REQUIRE_MESSAGE(r.status == 0, r.output.err);
  const auto result = last_json_line(r.output.out);
  BOOST_TEST(result.at("bytes").as_int64() == 64 * 1024 * 1024);
  BOOST_TEST(result.at("received").as_string() == result.at("sent").as_string());
  BOOST_TEST(result.at("close_code").as_int64() == 1000);
  const auto close = server.wait_event("close", [](const event&) { return true; });
  BOOST_TEST(event_string(close, "reason") == "clean");
  BOOST_TEST(server.stop() == 0);
}

BOOST_AUTO_TEST_CASE(a_reset_in_the_middle_of_a_message_frees_the_session_at_once) {
  server_process server;
  asio::io_context ioc;
  auto ctx = client_context(server.cert_path());
  std::uint16_t port = 0;
  run(ioc, [&]() -> asio::awaitable<void> {
    std::string pending;
    auto s = co_await websocket_connect(server, ctx, pending);
    port = local_port(s);
    const std::string message = frame(fin | binary, std::string(100'000, 'm'));
    co_await write_all(s, std::string_view(message).substr(0, 20'000));
    close_with_reset(s.next_layer());
  });
  // Nowhere near the idle timeout (300 s): the reset ends it.
  const auto close = server.wait_close(port, 5s);
  BOOST_TEST(event_string(close, "reason") == "peer_reset");
  BOOST_TEST(event_string(close, "protocol") == "ws");
  BOOST_TEST(server.stop() == 0);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(F16_websocket_close_deadline)

BOOST_AUTO_TEST_CASE(a_peer_that_never_answers_our_close_frame_is_cut_at_the_deadline_and_tls_still_closes) {
  server_process server({"--shutdown-timeout", "1s"});
  asio::io_context ioc;
  auto ctx = client_context(server.cert_path());
  std::uint16_t port = 0;
  run(ioc, [&]() -> asio::awaitable<void> {
    std::string pending;
    auto s = co_await websocket_connect(server, ctx, pending);
    port = local_port(s);
    server.signal(SIGTERM);
    const auto ours = co_await read_frame(s, pending);
    BOOST_TEST(ours.opcode == close_frame);
    BOOST_TEST(ours.close_code() == 1001);
    BOOST_TEST(ours.close_reason() == "server shutting down");
    const auto unanswered = clock::now();
    co_await expect_close_notify_and_fin(s, pending);
    const auto waited = clock::now() - unanswered;
    BOOST_TEST((waited >= 900ms), "close_notify came before the closing handshake's deadline");
    BOOST_TEST((waited < 4s), "the closing handshake was not cut at its deadline");
  }, 20s);
  const auto close = server.wait_close(port);
  BOOST_TEST(event_string(close, "reason") == "server_shutdown");
  BOOST_TEST(event_string(close, "detail") == "the peer did not answer our close frame");
  BOOST_TEST(server.wait_exit() == 0);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(F17_websocket_protocol_violations)

struct violation {
  const char* what;
  std::string frame;
  std::uint16_t code;
};

BOOST_AUTO_TEST_CASE(each_violation_gets_its_close_code_then_close_notify_and_fin) {
  const std::vector<violation> violations{
      {"an unmasked client frame", frame(fin | text, "hi", false), 1002},
      {"invalid UTF-8 in a text message", frame(fin | text, "ok \xff\xfe"), 1007},
      {"a reserved opcode", frame(fin | 0x3, "x"), 1002},
      {"RSV1 without an extension", frame(fin | 0x40 | text, "x"), 1002},
      {"a control frame longer than 125 bytes", frame(fin | ping, std::string(126, 'p')), 1002},
      {"a fragmented control frame", frame(ping, "p"), 1002},
      {"a message over --ws-max-message", frame(fin | binary, std::string(2000, 'm')), 1009},
  };
  server_process server({"--ws-max-message", "1024"});
  asio::io_context ioc;
  auto ctx = client_context(server.cert_path());
  for (const auto& v : violations) {
    BOOST_TEST_CONTEXT(v.what) {
      std::uint16_t port = 0;
      run(ioc, [&]() -> asio::awaitable<void> {
        std::string pending;
        auto s = co_await websocket_connect(server, ctx, pending);
        port = local_port(s);
        co_await write_all(s, v.frame);
        const auto answer = co_await read_frame(s, pending);
        BOOST_TEST(answer.opcode == close_frame);
        BOOST_TEST(answer.close_code() == v.code);
        co_await expect_close_notify_and_fin(s, pending);
      }, 10s);
      const auto close = server.wait_close(port);
      BOOST_TEST(event_string(close, "reason") == "protocol_error");
      BOOST_TEST(contains(event_string(close, "detail"), "closed with " + std::to_string(v.code)),
                 event_string(close, "detail"));
    }
  }
  BOOST_TEST(server.stop() == 0);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(F19_websocket_drain)

BOOST_AUTO_TEST_CASE(sigterm_gives_every_websocket_peer_1001_then_close_notify_and_http_peers_close_notify_exit_0) {
  server_process server;
  child_process python(piped(ws_peer(server, "wait-close")));
  python.close_stdin();
  BOOST_REQUIRE(python.wait_for([](const captured& c) { return contains(c.out, "open\n"); }, 20s));
  asio::io_context ioc;
  auto ctx = client_context(server.cert_path(), {"http/1.1"});
  run(ioc, [&]() -> asio::awaitable<void> {
    std::string ws_pending;
    auto ws = co_await websocket_connect(server, ctx, ws_pending);
    auto http = co_await tls_connect(server.port(), ctx);
    co_await write_all(http, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
    std::string http_pending;
    const std::string answered = co_await read_head(http, http_pending);
    BOOST_TEST(answered.starts_with("HTTP/1.1 200 OK"), answered);
    BOOST_TEST(co_await read_body(http, http_pending, content_length(answered)) == "ok\n");
    server.signal(SIGTERM);
    const auto ours = co_await read_frame(ws, ws_pending);
    BOOST_TEST(ours.opcode == close_frame);
    BOOST_TEST(ours.close_code() == 1001);
    co_await write_all(ws, frame(fin | close_frame, close_payload(1001)));
    co_await expect_close_notify_and_fin(ws, ws_pending);
    co_await expect_close_notify_and_fin(http, http_pending);  // an idle keep-alive: nothing to answer
  });
  BOOST_TEST(server.wait_exit() == 0);
  BOOST_REQUIRE(python.wait_exit(20s).has_value());
  python.wait_for([](const captured& c) { return c.out_closed; }, 10s);
  const auto result = last_json_line(python.snapshot().out);
  BOOST_TEST(result.at("close_code").as_int64() == 1001);
  BOOST_TEST(result.at("close_reason").as_string() == "server shutting down");
  BOOST_TEST(event_number(server.summary(), "server_shutdown") == 3u);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(websocket_keepalive)

BOOST_AUTO_TEST_CASE(a_silent_peer_is_pinged_after_the_interval_and_closed_1001_when_no_pong_comes) {
  server_process server({"--ws-ping-interval", "300ms"});
  asio::io_context ioc;
  auto ctx = client_context(server.cert_path());
  std::uint16_t port = 0;
  run(ioc, [&]() -> asio::awaitable<void> {
    std::string pending;
    auto s = co_await websocket_connect(server, ctx, pending);
    port = local_port(s);
    const auto opened = clock::now();
    const auto asked = co_await read_frame(s, pending);
    BOOST_TEST(asked.opcode == ping);
    BOOST_TEST((clock::now() - opened >= 250ms), "pinged before the interval passed");
    const auto closing = co_await read_frame(s, pending);  // no pong from us
    BOOST_TEST(closing.opcode == close_frame);
    BOOST_TEST(closing.close_code() == 1001);
    BOOST_TEST(closing.close_reason() == "idle timeout");
    co_await write_all(s, frame(fin | close_frame, close_payload(1001)));
    co_await expect_close_notify_and_fin(s, pending);
  }, 10s);
  const auto close = server.wait_close(port);
  BOOST_TEST(event_string(close, "reason") == "idle_timeout");
  BOOST_TEST(event_string(close, "detail") == "no answer to our ping within --ws-ping-interval");
  BOOST_TEST(server.stop() == 0);
}

BOOST_AUTO_TEST_CASE(a_peer_that_answers_our_pings_stays_connected) {
  server_process server({"--ws-ping-interval", "200ms"});
  const auto r = run_to_exit(ws_peer(server, "quiet", {"1.5"}));  // python3-websockets answers pings itself
  BOOST_REQUIRE_MESSAGE(r.status == 0, r.output.err);
  const auto result = last_json_line(r.output.out);
  BOOST_TEST(result.at("reply").as_string() == "still here");
  BOOST_TEST(result.at("close_code").as_int64() == 1000);
  const auto close = server.wait_event("close", [](const event&) { return true; });
  BOOST_TEST(event_string(close, "reason") == "clean");
  BOOST_TEST(server.stop() == 0);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(websocket_upgrade)

BOOST_AUTO_TEST_CASE(a_request_for_a_websocket_without_upgrade_is_426_and_the_connection_stays) {
  server_process server;
  asio::io_context ioc;
  auto ctx = client_context(server.cert_path(), {"http/1.1"});
  run(ioc, [&]() -> asio::awaitable<void> {
    auto s = co_await tls_connect(server.port(), ctx);
    co_await write_all(s, "GET /ws HTTP/1.1\r\nHost: x\r\n\r\n");
    std::string pending;
    const std::string head = co_await read_head(s, pending);
    BOOST_TEST(head.starts_with("HTTP/1.1 426 Upgrade Required\r\n"), head);
    BOOST_TEST(contains(head, "Upgrade: websocket\r\n"), head);
    BOOST_TEST(!contains(head, "Connection: close"), head);
    // The connection stays: the next request on it is answered.
    co_await read_body(s, pending, content_length(head));
    co_await write_all(s, "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    const std::string next = co_await read_head(s, pending);
    BOOST_TEST(next.starts_with("HTTP/1.1 200 OK\r\n"), next);
    co_await read_body(s, pending, content_length(next));
    co_await expect_close_notify_and_fin(s, pending);
  }, 10s);
  BOOST_TEST(server.stop() == 0);
}

BOOST_AUTO_TEST_CASE(an_upgrade_beast_refuses_is_answered_with_connection_close_then_close_notify_and_fin) {
  server_process server;
  asio::io_context ioc;
  auto ctx = client_context(server.cert_path(), {"http/1.1"});
  std::uint16_t port = 0;
  run(ioc, [&]() -> asio::awaitable<void> {
    auto s = co_await tls_connect(server.port(), ctx);
    port = local_port(s);
    co_await write_all(s, upgrade_request("/ws", "8"));  // RFC 6455 4.4: version 13 only
    std::string pending;
    const std::string head = co_await read_head(s, pending);
    BOOST_TEST(head.starts_with("HTTP/1.1 426 Upgrade Required\r\n"), head);
    BOOST_TEST(contains(head, "Sec-WebSocket-Version: 13\r\n"), head);
    BOOST_TEST(contains(head, "Connection: close\r\n"), head);
    co_await read_body(s, pending, content_length(head));
    co_await expect_close_notify_and_fin(s, pending);
  }, 10s);
  const auto close = server.wait_close(port);
  BOOST_TEST(event_string(close, "reason") == "protocol_error");
  BOOST_TEST(contains(event_string(close, "detail"), "WebSocket upgrade refused"), event_string(close, "detail"));
  BOOST_TEST(server.stop() == 0);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(status_page)

BOOST_AUTO_TEST_CASE(the_page_opens_its_websockets_updates_its_counters_and_echoes_in_a_real_browser) {
  server_process server;
  std::filesystem::create_directories(CLOSENOTIFY_ARTIFACTS);
  const std::string screenshot = std::string(CLOSENOTIFY_ARTIFACTS) + "/status-page.png";
  std::filesystem::remove(screenshot);
  // Headless Chromium trusts exactly the server's certificate (its public key's hash).
  const auto r = run_to_exit({"/usr/bin/python3", CLOSENOTIFY_STATUS_PAGE_BROWSER,
                              "https://localhost:" + std::to_string(server.port()) + "/", server.cert_path(), screenshot});
  BOOST_REQUIRE_MESSAGE(r.status == 0, r.output.out + r.output.err);
  const auto seen = last_json_line(r.output.out);
  BOOST_TEST(seen.at("status_state").as_string() == "open");
  BOOST_TEST(seen.at("updates_later").as_int64() > seen.at("updates_first").as_int64());
  BOOST_TEST(seen.at("echo_reply").as_string() == seen.at("echo_sent").as_string());
  BOOST_TEST(std::filesystem::file_size(screenshot) > 10'000u);
  BOOST_TEST(server.stop() == 0);
  // The page came over HTTP and its two sockets were WebSockets of this server's.
  std::map<std::string, int> closes;
  for (const auto& e : server.events())
    if (event_string(e, "event") == "close") ++closes[event_string(e, "protocol")];
  BOOST_TEST(closes["http"] >= 1);
  BOOST_TEST(closes["ws"] >= 2);
}

BOOST_AUTO_TEST_SUITE_END()
