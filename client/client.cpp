#include "client.hpp"

#include <cstdio>

#include "closenotify/exit_code.hpp"
#include "closenotify/tls_context.hpp"
#include "connection.hpp"
#include "report.hpp"
#include "terminal.hpp"

namespace closenotify::cli {

int run_client(const cli_config& config) {
  asio::io_context ioc(1);
  ssl::context tls = make_client_context(config.tls);
  if (!config.tls.verify_peer)
    terminal::complain("WARNING: --insecure: the server's certificate is NOT verified; anyone on the path can read and change this connection");
  terminal term(config.quiet);
  connection conn(ioc, config, tls, term);
  int code = exit_error;
  asio::co_spawn(ioc, conn.run(), [&](std::exception_ptr e) {
    if (!e) {
      code = report(conn, config, term);
      return;
    }
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& ex) {
      terminal::complain(ex.what());
    }
  });
  ioc.run();
  return code;
}

}  // namespace closenotify::cli
