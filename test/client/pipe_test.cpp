// The client as a faithful pipe: every byte through an echo peer comes back, whether stdin is
// a pipe or a regular file, because at the end of input it half-closes and keeps reading.
#include <boost/test/unit_test.hpp>

#include <fstream>

#include "cli_support.hpp"
#include "closenotify/sha256.hpp"
#include "server_process.hpp"
#include "tls_peer.hpp"

using namespace closenotify;
using namespace closenotify::test;

namespace {
constexpr std::size_t payload_size = 64u << 20;

// Random bytes, but no NUL and no CR: gnutls-serv --echo is not binary-safe (gnutls-bin
// 3.7.9 stops echoing at a NUL and turns CR LF into LF, both seen here), which says nothing
// about the client. Every other byte value occurs.
std::string random_payload() {
  std::string data(payload_size, '\0');
  std::uint64_t seed = 2026;
  fill_random(seed, data);
  for (auto& c : data)
    if (c == '\0' || c == '\r') c = '\x01';
  return data;
}

std::string hash_of(std::string_view data) {
  sha256 h;
  h.update(data);
  return h.hex_digest();
}

// Pipes the payload through the client (stdin a pipe, or a file when `file` is set).
void expect_faithful_echo(std::uint16_t port, const std::string& cafile, const std::string& file = {}) {
  static const std::string payload = random_payload();
  auto options = piped(cli({"--raw", "--quiet", "--cafile", cafile, "localhost:" + std::to_string(port)}));
  if (!file.empty()) {
    std::ofstream(file, std::ios::binary) << payload;
    options.pipe_stdin = false;
    options.stdin_file = file;
  }
  child_process client(std::move(options));
  if (file.empty()) {
    client.write_stdin(payload);
    client.close_stdin();
  }
  const auto status = client.wait_exit(180s);
  BOOST_REQUIRE(status.has_value());
  client.wait_for([](const captured& c) { return c.out_closed; }, 20s);
  const auto out = client.snapshot();
  BOOST_TEST(*status == 0, out.err);
  BOOST_TEST(out.out.size() == payload.size());
  BOOST_TEST(hash_of(out.out) == hash_of(payload));
}

}  // namespace

BOOST_AUTO_TEST_SUITE(client_pipe_fidelity)

BOOST_AUTO_TEST_CASE(sixty_four_mib_through_gnutls_serv_echo_arrive_intact) {
  cert_dir certs;
  const std::uint16_t port = free_port();
  auto options = piped({"gnutls-serv", "--echo", "--port", std::to_string(port), "--x509certfile", certs.cert,
                        "--x509keyfile", certs.key});
  options.merge_stderr = true;
  child_process peer(std::move(options));
  BOOST_REQUIRE(peer.wait_for([](const captured& c) { return c.out.find("listening") != std::string::npos; }, 20s));
  expect_faithful_echo(port, certs.cert);
}

BOOST_AUTO_TEST_CASE(sixty_four_mib_through_socat_echo_arrive_intact_from_a_pipe_and_from_a_file) {
  cert_dir certs;
  const std::uint16_t port = free_port();
  auto options = piped({"socat", "-d", "-d", "OPENSSL-LISTEN:" + std::to_string(port) + ",bind=127.0.0.1,reuseaddr,fork,cert=" +
                                     certs.cert + ",key=" + certs.key + ",verify=0",
                        "PIPE"});
  options.merge_stderr = true;  // -d -d logs "listening on" when ready
  child_process peer(std::move(options));
  BOOST_REQUIRE(peer.wait_for([](const captured& c) { return c.out.find("listening on") != std::string::npos; }, 20s));
  expect_faithful_echo(port, certs.cert);
  expect_faithful_echo(port, certs.cert, (certs.dir / "payload.bin").string());
}

BOOST_AUTO_TEST_CASE(our_server_echo_from_a_regular_file) {
  server_process server;
  cert_dir scratch;
  expect_faithful_echo(server.port(), server.cert_path(), (scratch.dir / "payload.bin").string());
  BOOST_TEST(server.stop() == 0);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(client_stdout_closed)

BOOST_AUTO_TEST_CASE(head_closing_stdout_mid_bulk_is_no_sigpipe_death_and_a_normal_close) {
  server_process server;
  const std::string script = "printf '/bulk 100000000\\n' | '" + cli_binary() + "' --quiet --cafile '" +
                             server.cert_path() + "' localhost:" + std::to_string(server.port()) +
                             " | head -c 10; exit ${PIPESTATUS[1]}";
  child_options options;
  options.argv = {"bash", "-c", script};
  child_process shell(std::move(options));
  const auto status = shell.wait_exit(120s);
  BOOST_REQUIRE(status.has_value());
  shell.wait_for([](const captured& c) { return c.out_closed; }, 20s);
  BOOST_TEST(*status == 0, "client exit " << *status << ": " << shell.snapshot().err);  // 141 would be SIGPIPE
  BOOST_TEST(shell.snapshot().out.size() == 10u);
  const auto close = server.wait_event("close", [](const event&) { return true; });
  BOOST_TEST(event_string(close, "reason") == "clean");
  BOOST_TEST(server.stop() == 0);
}

BOOST_AUTO_TEST_SUITE_END()
