// closenotify-cli https://: against our server, nginx, and a scripted server that misbehaves
// (a body cut short) or frames its answer in chunks. Each test asserts the exit code and the
// bytes on stdout.
#include <fstream>

#include <boost/asio/connect.hpp>
#include <boost/json/parse.hpp>
#include <boost/test/unit_test.hpp>

#include "cli_support.hpp"
#include "server_process.hpp"

using namespace closenotify;
using namespace closenotify::test;

namespace {
std::string url(std::uint16_t port, std::string_view path) {
  return "https://localhost:" + std::to_string(port) + std::string(path);
}


// nginx (Debian's nginx-light), one worker, HTTPS with a fixed body, keep-alive on.
struct nginx_server {
  nginx_server() : port(free_port()) {
    const auto conf = certs.dir / "nginx.conf";
    std::ofstream(conf) << "worker_processes 1;\ndaemon off;\nmaster_process off;\npid " << (certs.dir / "nginx.pid").string()
                        << ";\nerror_log " << (certs.dir / "error.log").string()
                        << " warn;\nevents { worker_connections 64; }\nhttp {\n  access_log off;\n"
                           "  client_body_temp_path " << certs.dir.string() << ";\n"
                           "  server {\n    listen 127.0.0.1:" << port << " ssl;\n"
                        << "    ssl_certificate " << certs.cert << ";\n    ssl_certificate_key " << certs.key << ";\n"
                        << "    location / { return 200 \"a fixed body from nginx\\n\"; }\n  }\n}\n";
    process.emplace(piped({"nginx", "-p", certs.dir.string(), "-c", conf.string()}));
    // Ready once it accepts a TCP connection.
    asio::io_context ioc;
    for (int i = 0; i < 400; ++i) {
      tcp::socket s(ioc);
      error_code ec;
      s.connect({asio::ip::make_address("127.0.0.1"), port}, ec);
      if (!ec) return;
      std::this_thread::sleep_for(25ms);
    }
    BOOST_FAIL("nginx did not start listening");
  }
  cert_dir certs;
  std::uint16_t port;
  std::optional<child_process> process;
};
}  // namespace

BOOST_AUTO_TEST_SUITE(https_client)

BOOST_AUTO_TEST_CASE(a_2xx_from_our_server_is_its_body_on_stdout_and_exit_0_after_close_notify_both_ways) {
  server_process server;
  child_process client(piped(cli({"--quiet", "--cafile", server.cert_path(), url(server.port(), "/healthz")})));
  BOOST_TEST(client.wait_exit(20s).value_or(-1) == 0, client.snapshot().err);
  client.wait_for([](const captured& c) { return c.out_closed; }, 10s);
  BOOST_TEST(client.snapshot().out == "ok\n");
  const auto close = server.wait_event("close", [](const event&) { return true; });
  BOOST_TEST(event_string(close, "reason") == "clean");
  BOOST_TEST(event_string(close, "protocol") == "http");
  BOOST_TEST(server.stop() == 0);
}

BOOST_AUTO_TEST_CASE(include_puts_the_status_line_and_header_fields_before_the_body) {
  server_process server;
  child_process client(piped(cli({"--quiet", "--include", "--cafile", server.cert_path(), url(server.port(), "/readyz")})));
  BOOST_TEST(client.wait_exit(20s).value_or(-1) == 0);
  client.wait_for([](const captured& c) { return c.out_closed; }, 10s);
  const auto out = client.snapshot().out;
  BOOST_TEST(out.starts_with("HTTP/1.1 200 OK\r\n"), out);
  BOOST_TEST(out.find("\r\nContent-Length: 6\r\n") != std::string::npos, out);
  BOOST_TEST(out.ends_with("\r\n\r\nready\n"), out);
  BOOST_TEST(server.stop() == 0);
}

BOOST_AUTO_TEST_CASE(a_whole_answer_that_is_not_2xx_is_exit_14_with_its_status_and_its_body) {
  server_process server;
  child_process client(piped(cli({"--json", "--cafile", server.cert_path(), url(server.port(), "/nope")})));
  BOOST_TEST(client.wait_exit(20s).value_or(-1) == 14);
  client.wait_for([](const captured& c) { return c.out_closed && c.err_closed; }, 10s);
  const auto out = client.snapshot();
  BOOST_TEST(out.out == "not found\n");
  BOOST_TEST(out.err.find("the server answered HTTP 404 Not Found") != std::string::npos, out.err);
  const auto json = boost::json::parse(out.err.substr(out.err.rfind("\n{") + 1)).as_object();
  BOOST_TEST(json.at("protocol").as_string() == "http");
  BOOST_TEST(json.at("http").as_object().at("status").as_int64() == 404);
  BOOST_TEST(json.at("close_reason").as_string() == "clean");
  BOOST_TEST(server.stop() == 0);
}

BOOST_AUTO_TEST_CASE(nginx_keeping_the_connection_alive_gives_its_body_and_exit_0_after_our_close_notify) {
  nginx_server nginx;
  child_process client(piped(cli({"--quiet", "--cafile", nginx.certs.cert, url(nginx.port, "/anything")})));
  BOOST_TEST(client.wait_exit(20s).value_or(-1) == 0, client.snapshot().err);
  client.wait_for([](const captured& c) { return c.out_closed; }, 10s);
  BOOST_TEST(client.snapshot().out == "a fixed body from nginx\n");
}

BOOST_AUTO_TEST_CASE(a_chunked_answer_is_joined_and_data_from_a_file_is_posted) {
  scripted_web_server peer("http-chunked");
  cert_dir tmp;
  const auto file = (tmp.dir / "body.bin").string();
  std::ofstream(file, std::ios::binary) << "posted\nbytes";
  child_process client(piped(cli({"--quiet", "--data", "@" + file, "--cafile", peer.certs.cert, url(peer.port, "/submit")})));
  BOOST_TEST(client.wait_exit(20s).value_or(-1) == 0, client.snapshot().err);
  client.wait_for([](const captured& c) { return c.out_closed; }, 10s);
  BOOST_TEST(client.snapshot().out == "first second third\n");
  const auto report = peer.report();
  BOOST_TEST(report.at("request_line").as_string() == "POST /submit HTTP/1.1");
  BOOST_TEST(report.at("body").as_string() == "posted\nbytes");
  BOOST_TEST(report.at("client_closed").as_bool());
}

BOOST_AUTO_TEST_CASE(a_body_cut_short_is_exit_7_even_when_tls_closes_cleanly) {
  scripted_web_server peer("http-short-body");
  child_process client(piped(cli({"--cafile", peer.certs.cert, url(peer.port, "/")})));
  BOOST_TEST(client.wait_exit(20s).value_or(-1) == 7);
  client.wait_for([](const captured& c) { return c.out_closed && c.err_closed; }, 10s);
  const auto out = client.snapshot();
  BOOST_TEST(out.out == "0123456789");
  BOOST_TEST(out.err.find("cut short after 10 body bytes") != std::string::npos, out.err);
  BOOST_TEST(peer.report().at("client_closed").as_bool());
}

BOOST_AUTO_TEST_CASE(http_urls_and_options_for_the_wrong_target_are_usage_errors) {
  for (const auto& args : {std::vector<std::string>{"http://localhost/"}, std::vector<std::string>{"--include", "localhost:4433"},
                           std::vector<std::string>{"--data", "x", "wss://localhost/ws"},
                           std::vector<std::string>{"--data", "@/nonexistent/file", "https://localhost/"},
                           std::vector<std::string>{"--binary", "https://localhost/"}}) {
    child_process client(piped(cli(args)));
    BOOST_TEST(client.wait_exit(20s).value_or(-1) == 2, args.front());
  }
}

BOOST_AUTO_TEST_SUITE_END()
