// Each way a connection can end has its own exit code, and a calm line that says which.
#include <boost/asio/write.hpp>
#include <boost/json/parse.hpp>
#include <boost/test/unit_test.hpp>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <future>

#include <poll.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <openssl/ssl.h>

#include "cli_support.hpp"
#include "closenotify/self_signed_cert.hpp"
#include "scripted_server.hpp"
#include "server_process.hpp"
#include "tls_peer.hpp"

using namespace closenotify;
using namespace closenotify::test;

namespace {
// A file for the client's stdin, removed at the end.
struct temp_file {
  explicit temp_file(const std::string& content)
      : path((std::filesystem::temp_directory_path() /
              ("closenotify-input-" + std::to_string(::getpid()) + "-" + std::to_string(counter++)))
                 .string()) {
    std::ofstream(path, std::ios::binary) << content;
  }
  ~temp_file() { std::filesystem::remove(path); }
  std::string path;
  static inline int counter = 0;
};

struct finished_client {
  int status;
  captured output;
};

// Runs the client to its exit; stdin stays open (so no half-close) unless `input_ends`.
finished_client run_client(std::vector<std::string> args, bool input_ends = false, std::string input = {}) {
  child_process client(piped(cli(std::move(args))));
  if (!input.empty()) client.write_stdin(input);
  if (input_ends) client.close_stdin();
  const auto status = client.wait_exit(30s);
  BOOST_REQUIRE_MESSAGE(status.has_value(), "the client did not exit: " + client.snapshot().err);
  client.wait_for([](const captured& c) { return c.out_closed && c.err_closed; }, 10s);
  return {*status, client.snapshot()};
}
}  // namespace

BOOST_AUTO_TEST_SUITE(client_exit_codes)

BOOST_AUTO_TEST_CASE(untrusted_certificate_is_6_with_the_reason) {
  server_process server;  // its certificate is in no trust store
  const auto r = run_client({"localhost:" + std::to_string(server.port())});
  BOOST_TEST(r.status == 6);
  BOOST_TEST(r.output.err.find("certificate verification failed: self-signed certificate") != std::string::npos, r.output.err);
  BOOST_TEST(server.stop() == 0);
}

BOOST_AUTO_TEST_CASE(wrong_host_name_is_6_with_the_reason) {
  server_process server;
  const auto r = run_client({"--cafile", server.cert_path(), "--sni", "wrong.example", "127.0.0.1:" + std::to_string(server.port())});
  BOOST_TEST(r.status == 6);
  BOOST_TEST(r.output.err.find("hostname mismatch") != std::string::npos, r.output.err);
  BOOST_TEST(server.stop() == 0);
}

BOOST_AUTO_TEST_CASE(expired_certificate_is_6_with_the_reason) {
  cert_dir dir;
  // Valid from an hour ago until two hours ago: expired.
  const auto pem = make_self_signed_certificate({"localhost"}, {"127.0.0.1"}, std::chrono::hours(-2));
  std::ofstream(dir.cert) << pem.cert;
  std::ofstream(dir.key) << pem.key;
  server_process server({"--cert", dir.cert, "--key", dir.key});
  const auto r = run_client({"--cafile", dir.cert, "localhost:" + std::to_string(server.port())});
  BOOST_TEST(r.status == 6);
  BOOST_TEST(r.output.err.find("certificate has expired") != std::string::npos, r.output.err);
  BOOST_TEST(server.stop() == 0);
}

BOOST_AUTO_TEST_CASE(connection_refused_is_3) {
  const auto r = run_client({"--insecure", "127.0.0.1:" + std::to_string(free_port())});
  BOOST_TEST(r.status == 3);
  BOOST_TEST(r.output.err.find("Connection refused") != std::string::npos, r.output.err);
}

BOOST_AUTO_TEST_CASE(listener_that_never_accepts_is_connect_timeout_4) {
  asio::io_context ioc;
  tcp::acceptor never(ioc, {asio::ip::make_address("127.0.0.1"), 0});  // the kernel completes TCP; no TLS ever
  const auto r = run_client({"--insecure", "--connect-timeout", "500ms", "127.0.0.1:" + std::to_string(never.local_endpoint().port())});
  BOOST_TEST(r.status == 4);
  BOOST_TEST(r.output.err.find("did not finish within 500ms") != std::string::npos, r.output.err);
}

BOOST_AUTO_TEST_CASE(server_reset_mid_stream_is_8) {
  scripted_server server([](tls_stream& s) -> asio::awaitable<void> {
    co_await write_all(s, "partial\n");
    close_with_reset(s.next_layer());
  });
  const auto r = run_client({"--cafile", server.cert_path(), "localhost:" + std::to_string(server.port())});
  // (Whether "partial" is printed depends on timing: Linux drops unread data when RST comes.)
  BOOST_TEST(r.status == 8, r.output.err);
  BOOST_TEST(r.output.err.find("peer_reset") != std::string::npos, r.output.err);
}

BOOST_AUTO_TEST_CASE(server_truncation_out_of_the_blue_is_7_with_a_calm_line) {
  scripted_server server([](tls_stream& s) -> asio::awaitable<void> {
    co_await write_all(s, "partial\n");
    close_without_close_notify(s.next_layer());
  });
  const auto r = run_client({"--cafile", server.cert_path(), "localhost:" + std::to_string(server.port())});
  BOOST_TEST(r.status == 7, r.output.err);
  BOOST_TEST(r.output.out == "partial\n");
  BOOST_TEST(r.output.err.find("may be incomplete") != std::string::npos, r.output.err);
  BOOST_TEST(!has_error_line(r.output.err), r.output.err);
}

// run_client allows 30 s; the server stays silent for five minutes: only --shutdown-timeout ends it.
BOOST_AUTO_TEST_CASE(server_that_never_answers_close_notify_is_9_after_the_shutdown_timeout) {
  scripted_server server([](tls_stream& s) -> asio::awaitable<void> {
    std::string pending;
    co_await read_to_end(s, pending);  // the client's close_notify arrives...
    asio::steady_timer never(co_await asio::this_coro::executor, std::chrono::minutes(5));
    co_await never.async_wait(use_nothrow);  // ...and is never answered; the socket stays open
  });
  const auto r = run_client({"--raw", "--shutdown-timeout", "500ms", "--cafile", server.cert_path(),
                             "localhost:" + std::to_string(server.port())},
                            true, "x");
  BOOST_TEST(r.status == 9, r.output.err);
  BOOST_TEST(r.output.err.find("did not answer our close_notify within 500ms") != std::string::npos, r.output.err);
}

// A server that takes our first bytes and then reads nothing more: the client's write waits
// for a socket that never drains.
struct server_that_stops_reading {
  std::promise<void> first_bytes, window_full;
  std::future<void> first_bytes_arrived = first_bytes.get_future();
  std::future<void> client_blocked = window_full.get_future();
  scripted_server server{[this](tls_stream& s) -> asio::awaitable<void> {
    co_await s.next_layer().async_wait(tcp::socket::wait_read, use_nothrow);
    first_bytes.set_value();
    // Nothing tells a receiver that its window is shut; its unread bytes stop growing, and
    // from then on the client's write waits.
    asio::steady_timer tick(co_await asio::this_coro::executor);
    for (int last = -1, unchanged = 0; unchanged < 5;) {
      tick.expires_after(10ms);
      co_await tick.async_wait(use_nothrow);
      int unread = 0;
      ::ioctl(s.next_layer().native_handle(), FIONREAD, &unread);
      unchanged = unread > 0 && unread == last ? unchanged + 1 : 0;
      last = unread;
    }
    window_full.set_value();
    asio::steady_timer never(co_await asio::this_coro::executor, std::chrono::minutes(5));
    co_await never.async_wait(use_nothrow);
  }};
  // Far more than the socket buffers between us hold.
  temp_file input{std::string(32 * 1024 * 1024, 'w')};
};

BOOST_AUTO_TEST_CASE(server_that_stops_reading_cannot_hold_the_client_past_the_idle_and_shutdown_timeouts_11) {
  server_that_stops_reading peer;
  child_options options;
  options.argv = cli({"--raw", "--idle-timeout", "500ms", "--shutdown-timeout", "500ms", "--cafile",
                      peer.server.cert_path(), "localhost:" + std::to_string(peer.server.port())});
  options.stdin_file = peer.input.path;
  child_process client(options);
  // Nothing moves for --idle-timeout; the write still waiting then gets --shutdown-timeout,
  // and is cut: half a record is out, so no close_notify can follow.
  const auto status = client.wait_exit(30s);
  BOOST_REQUIRE_MESSAGE(status.has_value(), "the client did not exit: " + client.snapshot().err);
  BOOST_TEST(*status == 11, client.snapshot().err);
  BOOST_TEST((peer.first_bytes_arrived.wait_for(0s) == std::future_status::ready));
}

BOOST_AUTO_TEST_CASE(ctrl_c_while_the_server_reads_nothing_ends_at_the_shutdown_timeout_9) {
  server_that_stops_reading peer;
  child_options options;
  options.argv = cli({"--raw", "--shutdown-timeout", "500ms", "--cafile", peer.server.cert_path(),
                      "localhost:" + std::to_string(peer.server.port())});
  options.stdin_file = peer.input.path;
  child_process client(options);
  BOOST_REQUIRE((peer.client_blocked.wait_for(20s) == std::future_status::ready));
  client.send_signal(SIGINT);  // its write waits for a window the server never opens
  const auto status = client.wait_exit(30s);
  BOOST_REQUIRE_MESSAGE(status.has_value(), "the client did not exit: " + client.snapshot().err);
  BOOST_TEST(*status == 9, client.snapshot().err);
}

BOOST_AUTO_TEST_CASE(idle_connection_is_11_after_the_idle_timeout) {
  server_process server;
  const auto r = run_client({"--idle-timeout", "500ms", "--cafile", server.cert_path(), "localhost:" + std::to_string(server.port())});
  BOOST_TEST(r.status == 11, r.output.err);
  // It still closed properly: the server got our close_notify.
  BOOST_TEST(event_string(server.wait_event("close", [](const event&) { return true; }), "reason") == "clean");
  BOOST_TEST(server.stop() == 0);
}

BOOST_AUTO_TEST_CASE(mtls_without_a_client_certificate_is_5_and_with_one_is_0) {
  cert_dir client_cert;
  server_process server({"--client-ca", client_cert.cert, "--require-client-cert"});
  const std::string target = "localhost:" + std::to_string(server.port());
  const auto refused = run_client({"--cafile", server.cert_path(), target}, true, "/ping\n");
  BOOST_TEST(refused.status == 5, refused.output.err);
  BOOST_TEST(refused.output.err.find("certificate required") != std::string::npos, refused.output.err);
  const auto admitted = run_client({"--cafile", server.cert_path(), "--cert", client_cert.cert, "--key", client_cert.key, target},
                                   true, "/ping\n");
  BOOST_TEST(admitted.status == 0, admitted.output.err);
  BOOST_TEST(admitted.output.out == "PONG\n");
  BOOST_TEST(server.stop() == 0);
}

BOOST_AUTO_TEST_CASE(tls_min_1_3_is_honoured_and_alpn_can_be_chosen) {
  server_process server;
  const auto r = run_client({"--quiet", "--json", "--tls-min", "1.3", "--alpn", "something/else", "--cafile",
                             server.cert_path(), "localhost:" + std::to_string(server.port())},
                            true, "/ping\n");
  BOOST_TEST(r.status == 0, r.output.err);
  BOOST_TEST(r.output.out == "/ping\n");  // no closenotify/1 offered: raw echo
  const auto json = boost::json::parse(r.output.err).as_object();
  BOOST_TEST(json.at("tls_version").as_string() == "TLSv1.3");
  BOOST_TEST(json.at("alpn").as_string() == "");
  BOOST_TEST(server.stop() == 0);
}

BOOST_AUTO_TEST_CASE(a_second_ctrl_c_cuts_a_close_the_server_never_answers_130) {
  scripted_server server([](tls_stream& s) -> asio::awaitable<void> {
    co_await read_to_end(s);  // our close_notify, after the first Ctrl-C...
    asio::steady_timer never(co_await asio::this_coro::executor, std::chrono::minutes(5));
    co_await never.async_wait(use_nothrow);  // ...is never answered
  });
  child_process client(piped(cli({"--shutdown-timeout", "60s", "--cafile", server.cert_path(),
                                  "localhost:" + std::to_string(server.port())})));
  BOOST_REQUIRE(client_connected(client));
  client.send_signal(SIGINT);
  BOOST_REQUIRE(client.wait_for([](const captured& c) { return c.err.find("again to abort") != std::string::npos; }, 20s));
  client.send_signal(SIGINT);
  const auto status = client.wait_exit(20s);  // far less than --shutdown-timeout
  BOOST_REQUIRE_MESSAGE(status.has_value(), "the client did not exit: " + client.snapshot().err);
  BOOST_TEST(*status == 130, client.snapshot().err);
  BOOST_TEST(client.snapshot().err.find("cut by a second signal") != std::string::npos, client.snapshot().err);
}

BOOST_AUTO_TEST_CASE(ctrl_c_before_the_connection_is_up_cuts_it_at_once_130) {
  asio::io_context ioc;
  tcp::acceptor silent(ioc, {asio::ip::make_address("127.0.0.1"), 0});  // TCP completes; no TLS ever
  child_process client(piped(cli({"--connect-timeout", "60s", "--insecure",
                                  "127.0.0.1:" + std::to_string(silent.local_endpoint().port())})));
  pollfd incoming{silent.native_handle(), POLLIN, 0};
  BOOST_REQUIRE(::poll(&incoming, 1, 20'000) == 1);  // its ClientHello waits for an answer now
  client.send_signal(SIGINT);
  const auto status = client.wait_exit(20s);
  BOOST_REQUIRE_MESSAGE(status.has_value(), "the client did not exit: " + client.snapshot().err);
  BOOST_TEST(*status == 130, client.snapshot().err);
  BOOST_TEST(client.snapshot().err.find("interrupted before the connection was up") != std::string::npos,
             client.snapshot().err);
}

BOOST_AUTO_TEST_CASE(usage_errors_are_2) {
  BOOST_TEST(run_client({}).status == 2);
  BOOST_TEST(run_client({"--tls-min", "1.1", "localhost"}).status == 2);
  BOOST_TEST(run_client({"--cafile", "/nonexistent.pem", "localhost"}).status == 2);
  BOOST_TEST(run_client({"--insecure", "--cafile", "x.pem", "localhost"}).status == 2);
}

BOOST_AUTO_TEST_CASE(json_summary_describes_the_connection) {
  server_process server;
  const auto r = run_client({"--quiet", "--json", "--cafile", server.cert_path(), "localhost:" + std::to_string(server.port())},
                            true, "/ping\n");
  BOOST_TEST(r.status == 0);
  const auto json = boost::json::parse(r.output.err).as_object();
  BOOST_TEST(json.at("tls_version").as_string() == "TLSv1.3");
  BOOST_TEST(json.at("alpn").as_string() == "closenotify/1");
  BOOST_TEST(json.at("close_reason").as_string() == "clean");
  BOOST_TEST(json.at("exit_code").as_int64() == 0);
  BOOST_TEST(json.at("bytes_sent").as_int64() == 6);
  BOOST_TEST(json.at("bytes_received").as_int64() == 5);
  BOOST_TEST(json.at("peer_certificate").as_object().at("verified").as_bool());
  BOOST_TEST(server.stop() == 0);
}

BOOST_AUTO_TEST_SUITE_END()

// F20: a truncation is a normal end only when nothing more was owed to us.
BOOST_AUTO_TEST_SUITE(F20_end_of_input_then_truncation)

BOOST_AUTO_TEST_CASE(echo_then_a_tcp_end_without_close_notify_after_our_close_notify_is_7_with_every_byte_out) {
  scripted_server server([](tls_stream& s) -> asio::awaitable<void> {
    auto [data, end] = co_await read_to_end(s);  // until the client's close_notify
    co_await write_all(s, data);
    close_without_close_notify(s.next_layer());
  });
  const auto r = run_client({"--raw", "--cafile", server.cert_path(), "localhost:" + std::to_string(server.port())}, true,
                            "last words\n");
  BOOST_TEST(r.status == 7, r.output.err);
  BOOST_TEST(r.output.out == "last words\n");
  BOOST_TEST(r.output.err.find("after our end of input: the data may be incomplete") != std::string::npos, r.output.err);
  BOOST_TEST(!has_error_line(r.output.err), r.output.err);
}

BOOST_AUTO_TEST_CASE(the_same_end_after_the_servers_bye_is_0) {
  scripted_server server([](tls_stream& s) -> asio::awaitable<void> {
    co_await read_to_end(s);
    co_await write_all(s, "PONG\nBYE\n");
    close_without_close_notify(s.next_layer());
  });
  const auto r = run_client({"--cafile", server.cert_path(), "localhost:" + std::to_string(server.port())}, true,
                            "/ping\n/quit\n");
  BOOST_TEST(r.status == 0, r.output.err);
  BOOST_TEST(r.output.out == "PONG\nBYE\n");
}

BOOST_AUTO_TEST_CASE(ctrl_c_with_a_read_pending_then_a_tcp_end_without_close_notify_is_0) {
  scripted_server server([](tls_stream& s) -> asio::awaitable<void> {
    co_await read_to_end(s);  // the close_notify our Ctrl-C sends
    close_without_close_notify(s.next_layer());
  });
  child_process client(piped(cli({"--cafile", server.cert_path(), "localhost:" + std::to_string(server.port())})));
  BOOST_REQUIRE(client_connected(client));
  client.send_signal(SIGINT);
  BOOST_TEST(client.wait_exit(20s).value_or(-1) == 0, client.snapshot().err);
  BOOST_TEST(!has_error_line(client.snapshot().err), client.snapshot().err);
}

BOOST_AUTO_TEST_CASE(a_server_that_answers_our_close_notify_after_its_echo_is_0) {
  scripted_server server([](tls_stream& s) -> asio::awaitable<void> {
    auto [data, end] = co_await read_to_end(s);
    co_await write_all(s, data);
    co_await s.async_shutdown(use_nothrow);  // its close_notify answers ours
  });
  const auto r = run_client({"--raw", "--cafile", server.cert_path(), "localhost:" + std::to_string(server.port())}, true,
                            "last words\n");
  BOOST_TEST(r.status == 0, r.output.err);
  BOOST_TEST(r.output.out == "last words\n");
}

BOOST_AUTO_TEST_CASE(an_answer_that_streams_past_the_shutdown_timeout_after_our_end_of_input_arrives_whole_0) {
  // --shutdown-timeout counts the server's silence after our close_notify, not its answer.
  scripted_server server([](tls_stream& s) -> asio::awaitable<void> {
    co_await read_to_end(s);  // our close_notify
    asio::steady_timer pace(co_await asio::this_coro::executor);
    for (int i = 0; i < 15; ++i) {  // 1.5 s of answer, three times the timeout
      co_await write_all(s, "chunk " + std::to_string(i) + "\n");
      pace.expires_after(100ms);
      co_await pace.async_wait(use_nothrow);
    }
    co_await s.async_shutdown(use_nothrow);
  });
  const auto r = run_client({"--raw", "--shutdown-timeout", "500ms", "--cafile", server.cert_path(),
                             "localhost:" + std::to_string(server.port())},
                            true, "request\n");
  BOOST_TEST(r.status == 0, r.output.err);
  BOOST_TEST(r.output.out.find("chunk 14\n") != std::string::npos, r.output.out);
}

// TLS 1.2 has no half-close: a peer that reads close_notify answers with its own and drops
// what it still had to write (RFC 5246 7.2.1), as this server does. The client must wait
// for the slow answer before it sends close_notify.
BOOST_AUTO_TEST_CASE(a_tls_1_2_server_that_answers_slowly_gets_its_answer_out_before_our_close_notify) {
  std::promise<bool> saw_close_notify_first;
  auto order = saw_close_notify_first.get_future();
  scripted_server server(
      [&](tls_stream& s) -> asio::awaitable<void> {
        std::string pending;
        const std::string request = co_await read_line(s, pending);
        asio::steady_timer slow(co_await asio::this_coro::executor, 300ms);
        co_await slow.async_wait(use_nothrow);
        char probe[64];
        error_code ec;
        s.read_some_now(asio::buffer(probe), ec);
        if (ec == asio::error::eof) {
          saw_close_notify_first.set_value(true);
          co_await s.async_shutdown(use_nothrow);  // the answer is dropped
          co_return;
        }
        saw_close_notify_first.set_value(false);
        co_await write_all(s, "slow answer to " + request + "\n");
        co_await read_to_end(s);  // our close_notify, once the server has been quiet
        co_await s.async_shutdown(use_nothrow);
      },
      TLS1_2_VERSION);
  const auto r = run_client({"--raw", "--json", "--cafile", server.cert_path(), "localhost:" + std::to_string(server.port())},
                            true, "GET\n");
  BOOST_REQUIRE((order.wait_for(0s) == std::future_status::ready));
  BOOST_TEST(!order.get());
  BOOST_TEST(r.status == 0, r.output.err);
  BOOST_TEST(r.output.out == "slow answer to GET\n");
  BOOST_TEST(r.output.err.find("\"tls_version\":\"TLSv1.2\"") != std::string::npos, r.output.err);
}

BOOST_AUTO_TEST_SUITE_END()
