// The listener and the program around it: descriptor exhaustion, the connection limit,
// bad options, the no-configuration certificate.
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <optional>

#include <boost/asio/post.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <boost/test/unit_test.hpp>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "closenotify/self_signed_cert.hpp"
#include "closenotify/tls_context.hpp"
#include "server_process.hpp"
#include "tls_peer.hpp"

using namespace closenotify;
using namespace closenotify::test;

namespace {
std::size_t index_of(const std::vector<event>& events, std::string_view name, std::uint16_t local_port) {
  const std::string peer = "127.0.0.1:" + std::to_string(local_port);
  for (std::size_t i = 0; i < events.size(); ++i)
    if (event_string(events[i], "event") == name && event_string(events[i], "peer") == peer) return i;
  return events.size();
}

// Runs the server with these arguments to its exit; returns the status and its stderr.
std::pair<int, std::string> run_to_exit(std::vector<std::string> args) {
  args.insert(args.begin(), server_binary());
  child_options options;
  options.argv = args;
  child_process child(std::move(options));
  const auto status = child.wait_exit(30s);
  BOOST_REQUIRE(status.has_value());
  child.wait_for([](const captured& c) { return c.err_closed; }, 10s);
  return {*status, child.snapshot().err};
}
}  // namespace

BOOST_AUTO_TEST_SUITE(listener)

BOOST_AUTO_TEST_CASE(descriptor_exhaustion_backs_off_and_keeps_serving) {
  server_process server({"--handshake-timeout", "30s"}, 64);
  asio::io_context ioc;
  auto ctx = client_context(server.cert_path());
  std::vector<tcp::socket> hogs;
  run(ioc, [&]() -> asio::awaitable<void> {
    // More connections than the server has descriptors for: it runs out mid-way.
    for (int i = 0; i < 80; ++i) hogs.push_back(co_await tcp_connect(server.port()));
  });
  server.wait_event("accept_backoff", [](const event&) { return true; });
  hogs.clear();  // give the descriptors back
  run(ioc, [&]() -> asio::awaitable<void> {
    auto s = co_await tls_connect(server.port(), ctx);
    BOOST_TEST(co_await echo_round_trip(s, "served") == "served");
    auto [ec] = co_await s.async_shutdown(use_nothrow);
    BOOST_TEST(!ec, ec.message());
  });
  BOOST_TEST(server.stop() == 0);
  const auto summary = server.summary();
  BOOST_TEST(event_number(summary, "accepted") == event_number(summary, "closed_total"));
  BOOST_TEST(event_number(summary, "clean") == 1u);
}

BOOST_AUTO_TEST_CASE(max_connections_holds_new_connections_until_a_slot_frees) {
  server_process server({"--max-connections", "2", "--threads", "1"});
  asio::io_context ioc;
  auto ctx = client_context(server.cert_path());
  std::optional<tls_stream> a, b, c;
  std::uint16_t a_port = 0, c_port = 0;
  run(ioc, [&]() -> asio::awaitable<void> {
    a.emplace(co_await tls_connect(server.port(), ctx));
    b.emplace(co_await tls_connect(server.port(), ctx));
    a_port = local_port(*a);
  });
  server.wait_event("connection_limit", [](const event&) { return true; });
  run(ioc, [&]() -> asio::awaitable<void> {
    // The third connection completes TCP (the kernel's backlog) but is not accepted...
    auto sock = co_await tcp_connect(server.port());
    c_port = local_port(sock);
    c.emplace(std::move(sock), ctx);
    bool c_ready = false;
    asio::co_spawn(ioc, [&]() -> asio::awaitable<void> {
      co_await c->async_handshake(ssl::stream_base::client, asio::use_awaitable);
      c_ready = true;
    }, [](std::exception_ptr e) {
      if (e) std::rethrow_exception(e);  // fails the test now, not at run()'s time limit
    });
    // ...while b is served normally...
    co_await write_all(*b, "b");
    char echo;
    co_await asio::async_read(*b, asio::buffer(&echo, 1), asio::use_awaitable);
    BOOST_TEST(!c_ready);
    // ...until a slot frees.
    co_await a->async_shutdown(use_nothrow);
    a->next_layer().close();
    while (!c_ready) co_await asio::post(ioc, asio::use_awaitable);
    co_await write_all(*c, "c");
    co_await asio::async_read(*c, asio::buffer(&echo, 1), asio::use_awaitable);
    BOOST_TEST(echo == 'c');
    co_await b->async_shutdown(use_nothrow);
    co_await c->async_shutdown(use_nothrow);
  });
  const auto events = server.events();
  BOOST_TEST(index_of(events, "accept", c_port) > index_of(events, "close", a_port));
  BOOST_TEST(server.stop() == 0);
  BOOST_TEST(event_number(server.summary(), "accepted") == 3u);
}

BOOST_AUTO_TEST_CASE(default_server_presents_its_ephemeral_certificate_and_fingerprint) {
  server_process server;
  BOOST_TEST(!server.fingerprint().empty());
  const std::string pem = read_file(server.cert_path(), "certificate");
  BOOST_TEST(pem_fingerprint(pem) == server.fingerprint());
  asio::io_context ioc;
  auto ctx = client_context(server.cert_path());  // verification on, host name "localhost"
  run(ioc, [&]() -> asio::awaitable<void> {
    auto s = co_await tls_connect(server.port(), ctx);
    BOOST_TEST(SSL_get_verify_result(s.native_handle()) == X509_V_OK);
    BOOST_TEST(std::string(SSL_get_version(s.native_handle())) == "TLSv1.3");
    co_await s.async_shutdown(use_nothrow);
  });
  BOOST_TEST(server.stop() == 0);
}

BOOST_AUTO_TEST_CASE(tls_1_1_clients_are_refused) {
  server_process server;
  asio::io_context ioc;
  ssl::context old(ssl::context::tls_client);
  SSL_CTX_set_min_proto_version(old.native_handle(), TLS1_VERSION);
  SSL_CTX_set_max_proto_version(old.native_handle(), TLS1_1_VERSION);
  SSL_CTX_set_security_level(old.native_handle(), 0);
  std::uint16_t port = 0;
  run(ioc, [&]() -> asio::awaitable<void> {
    tls_stream s(co_await tcp_connect(server.port()), old);
    port = local_port(s);
    auto [ec] = co_await s.async_handshake(ssl::stream_base::client, use_nothrow);
    BOOST_TEST(ec.failed());
  });
  BOOST_TEST(event_string(server.wait_close(port), "reason") == "handshake_failed");
  BOOST_TEST(server.stop() == 0);
}

BOOST_AUTO_TEST_CASE(bad_options_exit_2_with_a_clear_message) {
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases{
      {{"--threads", "0"}, "--threads"},
      {{"--listen", "nonsense:port"}, "--listen"},
      {{"--cert", "a.pem"}, "--cert and --key go together"},
      {{"--idle-timeout", "soon"}, "--idle-timeout"},
      {{"--log-format", "xml"}, "--log-format"},
      {{"--no-such-option"}, "no-such-option"},
      {{"--require-client-cert"}, "--client-ca"},
      {{"--session-tickets", "17"}, "--session-tickets: 0 to 16"},
  };
  for (const auto& [args, expected] : cases) {
    const auto [status, err] = run_to_exit(args);
    BOOST_TEST(status == 2, args.front());
    BOOST_TEST(err.find(expected) != std::string::npos, "stderr for " << args.front() << ": " << err);
  }
}

BOOST_AUTO_TEST_CASE(unusable_certificate_or_port_exit_1_with_a_clear_message) {
  auto [status, err] = run_to_exit({"--cert", "/nonexistent/cert.pem", "--key", "/nonexistent/key.pem"});
  BOOST_TEST(status == 1);
  BOOST_TEST(err.find("cannot read certificate /nonexistent/cert.pem") != std::string::npos, err);

  server_process holder;
  std::tie(status, err) = run_to_exit({"--listen", "127.0.0.1:" + std::to_string(holder.port()), "--threads", "1"});
  // Our listeners use SO_REUSEPORT, yet a second instance must not join the port.
  BOOST_TEST(status == 1);
  BOOST_TEST(err.find("cannot listen on 127.0.0.1:" + std::to_string(holder.port())) != std::string::npos, err);
  BOOST_TEST(holder.stop() == 0);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(mtls)

BOOST_AUTO_TEST_CASE(required_client_certificate_refuses_anonymous_clients_and_admits_trusted_ones) {
  const auto dir = std::filesystem::temp_directory_path() / ("closenotify-mtls-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const auto client = make_self_signed_certificate({"test-client"}, {}, std::chrono::hours(1));
  const std::string cert_file = (dir / "client.pem").string(), key_file = (dir / "client.key").string();
  std::ofstream(cert_file) << client.cert;
  std::ofstream(key_file) << client.key;

  server_process server({"--client-ca", cert_file, "--require-client-cert"});
  asio::io_context ioc;
  auto anonymous = client_context(server.cert_path());
  client_tls_config with_cert;
  with_cert.ca_file = server.cert_path();
  with_cert.cert_file = cert_file;
  with_cert.key_file = key_file;
  auto trusted = make_client_context(with_cert);
  std::uint16_t anonymous_port = 0, trusted_port = 0;
  run(ioc, [&]() -> asio::awaitable<void> {
    tls_stream s(co_await tcp_connect(server.port()), anonymous);
    anonymous_port = local_port(s);
    set_client_server_name(s, "localhost", true);
    // TLS 1.3 checks the client's certificate after the client's Finished: the refusal may
    // come on the handshake or on the first read.
    auto [hs] = co_await s.async_handshake(ssl::stream_base::client, use_nothrow);
    if (!hs) {
      co_await write_all(s, "let me in");
      char c;
      auto [ec, n] = co_await s.async_read_some(asio::buffer(&c, 1), use_nothrow);
      BOOST_TEST(ec.failed());
    }
  });
  run(ioc, [&]() -> asio::awaitable<void> {
    auto s = co_await tls_connect(server.port(), trusted);
    trusted_port = local_port(s);
    BOOST_TEST(co_await echo_round_trip(s, "mtls") == "mtls");
    co_await s.async_shutdown(use_nothrow);
  });
  BOOST_TEST(event_string(server.wait_close(anonymous_port), "reason") == "handshake_failed");
  BOOST_TEST(event_string(server.wait_close(trusted_port), "reason") == "clean");
  BOOST_TEST(server.stop() == 0);
  std::filesystem::remove_all(dir);
}

BOOST_AUTO_TEST_SUITE_END()
