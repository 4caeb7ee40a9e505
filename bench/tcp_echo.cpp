// closenotify-tcp-echo: the plain TCP echo that bench/compare puts behind the TLS proxies
// (nginx, haproxy, stunnel), so every proxy forwards to the same, cheap backend.
// One thread, one epoll loop; a FIN from the proxy is answered with ours once the echo is out.
#include <csignal>
#include <cstdio>
#include <iostream>

#include <boost/asio/signal_set.hpp>
#include <boost/asio/write.hpp>

#include "closenotify/asio.hpp"
#include "closenotify/config_parse.hpp"

using namespace closenotify;

namespace {
asio::awaitable<void> echo(tcp::socket socket) {
  char buffer[16 * 1024];
  for (;;) {
    const auto [ec, n] = co_await socket.async_read_some(asio::buffer(buffer), use_nothrow);
    if (n > 0) {
      const auto [wec, written] = co_await asio::async_write(socket, asio::buffer(buffer, n), use_nothrow);
      if (wec) break;
    }
    if (ec) break;
  }
  error_code ignored;
  socket.shutdown(tcp::socket::shutdown_send, ignored);
}

asio::awaitable<void> accept_loop(tcp::acceptor& acceptor) {
  asio::steady_timer backoff(acceptor.get_executor());
  for (;;) {
    auto [ec, socket] = co_await acceptor.async_accept(use_nothrow);
    if (ec == asio::error::operation_aborted) co_return;
    if (ec) {
      // EMFILE and friends: the connection stays queued, so an instant retry would spin on
      // the core the load generator shares with us.
      backoff.expires_after(std::chrono::milliseconds(10));
      co_await backoff.async_wait(use_nothrow);
      continue;
    }
    error_code ignored;
    socket.set_option(tcp::no_delay(true), ignored);
    asio::co_spawn(acceptor.get_executor(), echo(std::move(socket)), asio::detached);
  }
}
}  // namespace

int main(int argc, char* argv[]) {
  if (argc != 2) {
    std::cerr << "usage: closenotify-tcp-echo HOST:PORT   (port 0 picks one; the bound port is printed)\n";
    return 2;
  }
  std::signal(SIGPIPE, SIG_IGN);
  const auto target = parse_host_port(argv[1], 0);
  error_code bad_address;
  const auto address = target ? asio::ip::make_address(target->host, bad_address) : asio::ip::address{};
  if (!target || bad_address) {
    std::cerr << "closenotify-tcp-echo: '" << argv[1] << "' is not IP-ADDRESS:PORT\n";
    return 2;
  }
  try {
    asio::io_context ioc(1);
    const tcp::endpoint endpoint(address, target->port);
    tcp::acceptor acceptor(ioc, endpoint);
    acceptor.listen(asio::socket_base::max_listen_connections);
    std::printf("listening port=%u\n", static_cast<unsigned>(acceptor.local_endpoint().port()));
    std::fflush(stdout);
    asio::signal_set stop(ioc, SIGINT, SIGTERM);
    stop.async_wait([&](const error_code&, int) { ioc.stop(); });
    asio::co_spawn(ioc, accept_loop(acceptor), asio::detached);
    ioc.run();
  } catch (const std::exception& e) {
    std::cerr << "closenotify-tcp-echo: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
