// HTTPS on the server's port, against curl, Python's Prometheus parser, and raw TLS peers
// that write what a library would refuse to (floods, garbage, trickles).
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/write.hpp>
#include <boost/json/parse.hpp>
#include <boost/test/unit_test.hpp>

#include <csignal>
#include <ctime>

#include "server_process.hpp"
#include "tls_peer.hpp"
#include "web_support.hpp"

using namespace closenotify;
using namespace closenotify::test;
using namespace asio::experimental::awaitable_operators;

namespace {
std::vector<std::string> curl(const server_process& server, std::vector<std::string> args) {
  std::vector<std::string> argv{"curl", "--silent", "--show-error", "--http1.1", "--cacert", server.cert_path()};
  argv.insert(argv.end(), args.begin(), args.end());
  return argv;
}

std::string url(const server_process& server, std::string_view path) {
  return "https://localhost:" + std::to_string(server.port()) + std::string(path);
}

// A whole response on a raw peer: the header, then Content-Length bytes of body (none for
// an answer to HEAD).
asio::awaitable<std::string> read_response(tls_stream& s, std::string& pending, bool to_head = false) {
  char buf[16384];
  for (;;) {
    const auto end = pending.find("\r\n\r\n");
    if (end != std::string::npos) {
      const auto at = pending.find("Content-Length: ");
      const std::size_t length = at < end && !to_head ? std::stoul(pending.substr(at + 16)) : 0;
      if (pending.size() >= end + 4 + length) {
        std::string response = pending.substr(0, end + 4 + length);
        pending.erase(0, end + 4 + length);
        co_return response;
      }
    }
    const std::size_t n = co_await s.async_read_some(asio::buffer(buf), asio::use_awaitable);
    pending.append(buf, n);
  }
}

// The server's Prometheus text, parsed by prometheus_client (Debian's python3-prometheus-client).
boost::json::object scrape(const server_process& server) {
  const auto page = run_to_exit(curl(server, {url(server, "/metrics")}));
  BOOST_REQUIRE_MESSAGE(page.status == 0, page.output.err);
  const auto parsed = run_to_exit({"/usr/bin/python3", "-c",
                                   "import sys, json\n"
                                   "from prometheus_client.parser import text_string_to_metric_families\n"
                                   "out = {}\n"
                                   "for family in text_string_to_metric_families(sys.stdin.read()):\n"
                                   "    for s in family.samples:\n"
                                   "        key = s.name + ''.join(f'/{v}' for v in s.labels.values())\n"
                                   "        out[key] = s.value\n"
                                   "print(json.dumps(out))\n"},
                                  page.output.out);
  BOOST_REQUIRE_MESSAGE(parsed.status == 0, parsed.output.err);
  return boost::json::parse(parsed.output.out).as_object();
}

double closed_total(const boost::json::object& metrics) {
  double total = 0;
  for (const auto& [key, value] : metrics)
    if (key.starts_with("closenotify_connections_closed_total/")) total += value.as_double();
  return total;
}
}  // namespace

BOOST_AUTO_TEST_SUITE(web_protocol_choice)

BOOST_AUTO_TEST_CASE(alpn_http_1_1_selects_http_and_curl_keeps_its_connection_alive) {
  server_process server;
  const auto r = run_to_exit(curl(server, {"--verbose", url(server, "/healthz"), url(server, "/readyz")}));
  BOOST_TEST(r.status == 0, r.output.err);
  BOOST_TEST(r.output.out == "ok\nready\n");
  BOOST_TEST(contains(r.output.err, "ALPN: server accepted http/1.1"), r.output.err);
  BOOST_TEST(contains(r.output.err, "Re-using existing connection"), r.output.err);
  const auto close = server.wait_event("close", [](const event&) { return true; });
  BOOST_TEST(event_string(close, "protocol") == "http");
  BOOST_TEST(server.stop() == 0);
  BOOST_TEST(event_number(server.summary(), "accepted") == 1u);
}

BOOST_AUTO_TEST_CASE(without_alpn_a_request_line_selects_http) {
  server_process server;
  asio::io_context ioc;
  auto ctx = client_context(server.cert_path());  // no ALPN offered
  run(ioc, [&]() -> asio::awaitable<void> {
    auto s = co_await tls_connect(server.port(), ctx);
    co_await write_all(s, "GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
    std::string pending;
    const std::string response = co_await read_response(s, pending);
    BOOST_TEST(response.starts_with("HTTP/1.1 200 OK\r\n"), response);
    BOOST_TEST(response.ends_with("\r\n\r\nok\n"), response);
    co_await expect_close_notify_and_fin(s, pending);
  });
  BOOST_TEST(server.stop() == 0);
}

BOOST_AUTO_TEST_CASE(without_alpn_anything_else_is_echoed_at_once) {
  server_process server;
  asio::io_context ioc;
  auto ctx = client_context(server.cert_path());
  run(ioc, [&]() -> asio::awaitable<void> {
    auto s = co_await tls_connect(server.port(), ctx);
    BOOST_TEST(co_await echo_round_trip(s, "hello") == "hello");  // no newline: nothing to wait for
    BOOST_TEST(co_await echo_round_trip(s, "GET / HTTP/1.1\r\n") == "GET / HTTP/1.1\r\n");  // raw from then on
  }, 10s);
  BOOST_TEST(server.stop() == 0);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(F18_http_limits)

BOOST_AUTO_TEST_CASE(pipelined_keep_alive_requests_then_connection_close_end_with_close_notify_and_fin) {
  server_process server;
  asio::io_context ioc;
  auto ctx = client_context(server.cert_path(), {"http/1.1"});
  run(ioc, [&]() -> asio::awaitable<void> {
    auto s = co_await tls_connect(server.port(), ctx);
    co_await write_all(s, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\nHEAD /readyz HTTP/1.1\r\nHost: x\r\n\r\n"
                          "GET /readyz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    std::string pending;
    const std::string first = co_await read_response(s, pending);
    BOOST_TEST(first.starts_with("HTTP/1.1 200 OK"), first);
    BOOST_TEST(!contains(first, "Connection: close"), first);
    const std::string head = co_await read_response(s, pending, true);  // the GET's length, no body
    BOOST_TEST(head.starts_with("HTTP/1.1 200 OK"), head);
    BOOST_TEST(head.ends_with("Content-Length: 6\r\n\r\n"), head);
    const std::string last = co_await read_response(s, pending);
    BOOST_TEST(last.starts_with("HTTP/1.1 200 OK"), last);
    BOOST_TEST(contains(last, "Connection: close\r\n"), last);
    BOOST_TEST(last.ends_with("ready\n"), last);
    co_await expect_close_notify_and_fin(s, pending);
  });
  BOOST_TEST(server.stop() == 0);
}

// The fixed answers are serialized once a second and reused: each still carries the Date of
// its second, its request's HTTP version and its keep-alive.
BOOST_AUTO_TEST_CASE(reused_answers_follow_the_clock_the_version_and_keep_alive) {
  server_process server;
  asio::io_context ioc;
  auto ctx = client_context(server.cert_path(), {"http/1.1"});
  const auto date_of = [](const std::string& response) {
    const auto at = response.find("\r\nDate: ");
    return at == std::string::npos ? std::string{} : response.substr(at + 8, response.find("\r\n", at + 2) - at - 8);
  };
  const auto http_date = [](std::time_t t) {
    std::tm utc{};
    gmtime_r(&t, &utc);
    char text[64];
    std::strftime(text, sizeof text, "%a, %d %b %Y %H:%M:%S GMT", &utc);
    return std::string(text);
  };
  run(ioc, [&]() -> asio::awaitable<void> {
    auto s = co_await tls_connect(server.port(), ctx);
    std::string pending;
    co_await write_all(s, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
    const std::time_t before = std::time(nullptr);
    const std::string first = co_await read_response(s, pending);
    const std::string first_date = date_of(first);
    BOOST_TEST((first_date == http_date(before) || first_date == http_date(before + 1)), first);
    // The next second, on the same connection: a new Date.
    asio::steady_timer tick(co_await asio::this_coro::executor);
    while (std::time(nullptr) <= before + 1) {
      tick.expires_after(std::chrono::milliseconds(20));
      co_await tick.async_wait(asio::use_awaitable);
    }
    co_await write_all(s, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
    const std::time_t after = std::time(nullptr);
    const std::string second = co_await read_response(s, pending);
    const std::string second_date = date_of(second);
    BOOST_TEST(second_date != first_date, second);
    BOOST_TEST((second_date == http_date(after) || second_date == http_date(after + 1)), second);
    // HTTP/1.0 with keep-alive (the same answer but for the version), then without: its own
    // status line, and the end of the connection.
    co_await write_all(s, "GET /healthz HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
    const std::string kept = co_await read_response(s, pending);
    BOOST_TEST(kept.starts_with("HTTP/1.0 200 OK\r\n"), kept);
    BOOST_TEST(contains(kept, "\r\nConnection: keep-alive\r\n"), kept);
    co_await write_all(s, "GET /healthz HTTP/1.0\r\n\r\n");
    const std::string old = co_await read_response(s, pending);
    BOOST_TEST(old.starts_with("HTTP/1.0 200 OK\r\n"), old);
    BOOST_TEST(!contains(old, "Keep-Alive"), old);
    BOOST_TEST(old.ends_with("\r\n\r\nok\n"), old);
    co_await expect_close_notify_and_fin(s, pending);
  });
  BOOST_TEST(server.stop() == 0);
}

BOOST_AUTO_TEST_CASE(a_body_over_the_limit_is_413_read_whole_then_close_notify_and_fin_never_a_reset) {
  server_process server({"--max-body-size", "1024"});
  asio::io_context ioc;
  auto ctx = client_context(server.cert_path(), {"http/1.1"});
  std::uint16_t port = 0;
  run(ioc, [&]() -> asio::awaitable<void> {
    auto s = co_await tls_connect(server.port(), ctx);
    port = local_port(s);
    // Decided from Content-Length: the body is still on its way when the answer leaves.
    co_await write_all(s, "POST /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000\r\n\r\n");
    co_await write_all(s, std::string(256 * 1024, 'b'));
    std::string pending;
    const std::string response = co_await read_response(s, pending);
    BOOST_TEST(response.starts_with("HTTP/1.1 413 Payload Too Large\r\n"), response);
    BOOST_TEST(contains(response, "Connection: close\r\n"), response);
    co_await expect_close_notify_and_fin(s, pending);
  });
  const auto close = server.wait_close(port);
  BOOST_TEST(event_string(close, "reason") == "protocol_error");
  BOOST_TEST(event_string(close, "detail") == "request body larger than --max-body-size");
  BOOST_TEST(server.stop() == 0);
}

BOOST_AUTO_TEST_CASE(a_header_flood_is_431_and_garbage_is_400) {
  server_process server;
  asio::io_context ioc;
  auto ctx = client_context(server.cert_path(), {"http/1.1"});
  run(ioc, [&]() -> asio::awaitable<void> {
    auto flood = co_await tls_connect(server.port(), ctx);
    std::string request = "GET /healthz HTTP/1.1\r\nHost: x\r\n";
    while (request.size() < 20'000) request += "X-Flood: " + std::string(100, 'f') + "\r\n";
    co_await write_all(flood, request);
    std::string pending;
    const std::string too_large = co_await read_response(flood, pending);
    BOOST_TEST(too_large.starts_with("HTTP/1.1 431 Request Header Fields Too Large\r\n"), too_large);
    co_await expect_close_notify_and_fin(flood, pending);

    auto garbage = co_await tls_connect(server.port(), ctx);
    co_await write_all(garbage, "this is not http\r\n\r\n");
    pending.clear();
    const std::string bad = co_await read_response(garbage, pending);
    BOOST_TEST(bad.starts_with("HTTP/1.1 400 Bad Request\r\n"), bad);
    BOOST_TEST(contains(bad, "Connection: close\r\n"), bad);
    co_await expect_close_notify_and_fin(garbage, pending);
  });
  BOOST_TEST(server.stop() == 0);
  BOOST_TEST(event_number(server.summary(), "protocol_error") == 2u);
}

BOOST_AUTO_TEST_CASE(a_trickled_header_is_cut_at_its_deadline_while_others_are_served) {
  server_process server({"--header-timeout", "1s"});
  asio::io_context ioc;
  auto ctx = client_context(server.cert_path(), {"http/1.1"});
  std::uint16_t slow_port = 0;
  run(ioc, [&]() -> asio::awaitable<void> {
    auto slow = co_await tls_connect(server.port(), ctx);
    slow_port = local_port(slow);
    bool answered = false;
    auto trickle = [&]() -> asio::awaitable<void> {
      co_await write_all(slow, "GET /healthz HTTP/1.1\r\n");
      asio::steady_timer pace(co_await asio::this_coro::executor);
      // A header line every 100 ms: each byte is progress, none brings the end.
      for (int i = 0; i < 100 && !answered; ++i) {
        pace.expires_after(100ms);
        co_await pace.async_wait(use_nothrow);
        error_code ignored;
        co_await asio::async_write(slow, asio::buffer(std::string("X-Slow: ") + std::to_string(i) + "\r\n"),
                                   asio::redirect_error(asio::use_awaitable, ignored));
      }
      BOOST_TEST(answered, "10 s of trickle and still no answer: the deadline moved with each byte");
    };
    auto read = [&]() -> asio::awaitable<void> {
      std::string pending;
      const std::string response = co_await read_response(slow, pending);
      answered = true;
      BOOST_TEST(response.starts_with("HTTP/1.1 408 Request Timeout\r\n"), response);
      BOOST_TEST(contains(response, "Connection: close\r\n"), response);
    };
    auto other = [&]() -> asio::awaitable<void> {
      auto quick = co_await tls_connect(server.port(), ctx);
      co_await write_all(quick, "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
      std::string pending;
      const std::string response = co_await read_response(quick, pending);
      BOOST_TEST(response.starts_with("HTTP/1.1 200 OK"), response);
    };
    co_await (trickle() && read() && other());
  }, 20s);
  const auto close = server.wait_close(slow_port);
  BOOST_TEST(event_string(close, "reason") == "idle_timeout");
  BOOST_TEST(event_string(close, "detail") == "request not complete within --header-timeout");
  BOOST_TEST(server.stop() == 0);
}

BOOST_AUTO_TEST_CASE(an_unknown_path_is_404_and_a_wrong_method_405_with_allow) {
  server_process server;
  const auto missing = run_to_exit(curl(server, {"--include", url(server, "/nothing-here")}));
  BOOST_TEST(missing.output.out.starts_with("HTTP/1.1 404 Not Found\r\n"), missing.output.out);
  const auto wrong = run_to_exit(curl(server, {"--include", "--request", "DELETE", url(server, "/healthz")}));
  BOOST_TEST(wrong.output.out.starts_with("HTTP/1.1 405 Method Not Allowed\r\n"), wrong.output.out);
  BOOST_TEST(contains(wrong.output.out, "Allow: GET, HEAD\r\n"), wrong.output.out);
  BOOST_TEST(server.stop() == 0);
}

BOOST_AUTO_TEST_CASE(metrics_parse_as_prometheus_text_and_count_every_close) {
  server_process server;
  const auto before = scrape(server);
  BOOST_TEST(before.at("closenotify_connections_active").as_double() == 1.0);  // the scrape itself
  for (int i = 0; i < 3; ++i) BOOST_TEST(run_to_exit(curl(server, {url(server, "/healthz")})).status == 0);
  server.wait_closes(4);  // the first scrape's and the three
  const auto after = scrape(server);
  BOOST_TEST(closed_total(after) == closed_total(before) + 4);
  BOOST_TEST(after.at("closenotify_connections_accepted_total").as_double() == 5.0);
  BOOST_TEST(after.at("closenotify_connections_closed_total/clean/http").as_double() == 4.0);
  // Every connection's handshake is in the histogram; closed ones in the duration histogram.
  BOOST_TEST(after.at("closenotify_handshake_duration_seconds_count").as_double() == 5.0);
  BOOST_TEST(after.at("closenotify_connection_duration_seconds_count").as_double() == 4.0);
  BOOST_TEST(after.at("closenotify_tls_connections_active/TLSv1.3/TLS_AES_128_GCM_SHA256").as_double() == 1.0);
  BOOST_TEST(server.stop() == 0);
  BOOST_TEST(event_number(server.summary(), "closed_total") == 5u);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(F19_http_drain)

BOOST_AUTO_TEST_CASE(sigterm_gives_an_idle_keep_alive_peer_close_notify_and_readyz_under_way_503) {
  server_process server;
  asio::io_context ioc;
  auto ctx = client_context(server.cert_path(), {"http/1.1"});
  std::optional<tls_stream> idle, midway;
  std::string idle_pending;
  run(ioc, [&]() -> asio::awaitable<void> {
    idle.emplace(co_await tls_connect(server.port(), ctx));
    midway.emplace(co_await tls_connect(server.port(), ctx));
    const std::string half = "GET /readyz HTTP/1.1\r\nHo";
    co_await write_all(*midway, half);
    // Until the server has read those bytes (its received-bytes counter says so), asked
    // over the keep-alive connection.
    for (int i = 0; i < 200; ++i) {
      co_await write_all(*idle, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
      const std::string metrics = co_await read_response(*idle, idle_pending);
      const std::string_view sample = "\nclosenotify_received_bytes_total ";
      const auto received = std::stoul(metrics.substr(metrics.find(sample) + sample.size()));
      if (received >= half.size() + 34u * (i + 1)) co_return;  // our GETs are 34 bytes each
    }
    BOOST_FAIL("the server never read the half request");
  });
  server.signal(SIGTERM);
  run(ioc, [&]() -> asio::awaitable<void> {
    co_await expect_close_notify_and_fin(*idle, idle_pending);
    std::string pending;
    const std::string response = co_await read_response(*midway, pending);
    BOOST_TEST(response.starts_with("HTTP/1.1 503 Service Unavailable\r\n"), response);
    BOOST_TEST(contains(response, "Connection: close\r\n"), response);
    co_await expect_close_notify_and_fin(*midway, pending);
  });
  BOOST_TEST(server.wait_exit() == 0);
}

BOOST_AUTO_TEST_SUITE_END()
