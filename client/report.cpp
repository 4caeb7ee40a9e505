#include "report.hpp"

#include <cstdio>

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <fmt/format.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "closenotify/config_parse.hpp"
#include "closenotify/tls_context.hpp"
#include "closenotify/https_outcome.hpp"
#include "closenotify/websocket_outcome.hpp"

namespace closenotify::cli {

namespace {
std::string bio_text(BIO* bio) {
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<std::size_t>(std::max(len, 0L)));
}

template <class Print>
std::string printed(Print print) {
  BIO* bio = BIO_new(BIO_s_mem());
  print(bio);
  std::string text = bio_text(bio);
  BIO_free(bio);
  return text;
}

void print_json(connection& conn, const cli_config& config, int code, std::string_view error) {
  const connection_lifecycle& lifecycle = conn.lifecycle();
  boost::json::object o;
  o["host"] = config.host;
  o["port"] = config.port;
  if (lifecycle.established()) {
    SSL* ssl = conn.stream().native_handle();
    o["tls_version"] = SSL_get_version(ssl);
    o["cipher"] = SSL_get_cipher_name(ssl);
    o["alpn"] = std::string(selected_alpn(conn.stream()));
    o["resumed"] = SSL_session_reused(ssl) == 1;
    if (const X509* cert = SSL_get0_peer_certificate(ssl)) {
      boost::json::object peer;
      peer["subject"] = printed([&](BIO* b) { X509_NAME_print_ex(b, X509_get_subject_name(cert), 0, XN_FLAG_RFC2253); });
      peer["issuer"] = printed([&](BIO* b) { X509_NAME_print_ex(b, X509_get_issuer_name(cert), 0, XN_FLAG_RFC2253); });
      peer["not_after"] = printed([&](BIO* b) { ASN1_TIME_print(b, X509_get0_notAfter(cert)); });
      peer["verified"] = config.tls.verify_peer && SSL_get_verify_result(ssl) == X509_V_OK;
      o["peer_certificate"] = std::move(peer);
    }
  }
  if (const websocket_outcome* ws = conn.websocket()) {
    // The WebSocket's own ending beside the connection's (close_reason, below).
    o["protocol"] = "ws";
    boost::json::object w;
    w["http_status"] = ws->upgrade_status == 0 ? boost::json::value(nullptr) : boost::json::value(ws->upgrade_status);
    w["close_code"] = ws->close_code ? boost::json::value(*ws->close_code) : boost::json::value(nullptr);
    w["close_reason"] = ws->close_code ? boost::json::value(ws->close_reason) : boost::json::value(nullptr);
    w["closed_first"] = !ws->close_code ? boost::json::value(nullptr) : boost::json::value(ws->we_closed_first ? "client" : "server");
    w["protocol_violation"] = ws->protocol_violation;
    w["messages_sent"] = ws->messages_sent;
    w["messages_received"] = ws->messages_received;
    o["websocket"] = std::move(w);
  }
  if (const https_outcome* h = conn.https()) {
    o["protocol"] = "http";
    boost::json::object r;
    r["status"] = h->status == 0 ? boost::json::value(nullptr) : boost::json::value(h->status);
    r["reason"] = h->status == 0 ? boost::json::value(nullptr) : boost::json::value(h->reason);
    r["complete"] = h->complete;
    r["body_bytes"] = h->body_bytes;
    o["http"] = std::move(r);
  }
  // wss://: the messages' payloads.
  // https://: the bodies.
  o["bytes_sent"] = conn.websocket() ? conn.websocket()->payload_bytes_sent
                    : conn.https()   ? config.https.data.size()
                                     : conn.bytes_sent();
  o["bytes_received"] = conn.websocket() ? conn.websocket()->payload_bytes_received
                        : conn.https()   ? conn.https()->body_bytes
                                         : conn.bytes_received();
  if (lifecycle.established() && lifecycle.reason()) o["close_reason"] = to_string(*lifecycle.reason());
  else o["close_reason"] = nullptr;
  o["nothing_owed"] = lifecycle.nothing_owed();
  if (code != exit_clean && !error.empty()) o["error"] = error;
  o["exit_code"] = code;
  std::fprintf(stderr, "%s\n", boost::json::serialize(o).c_str());
}
}  // namespace

int report(connection& conn, const cli_config& config, const terminal& term) {
  const connection_lifecycle& lifecycle = conn.lifecycle();
  const websocket_outcome* ws = conn.websocket();
  const https_outcome* https = conn.https();
  const int code = ws      ? websocket_exit(lifecycle.exit_status(), *ws)
                   : https ? https_exit(lifecycle.exit_status(), *https)
                           : lifecycle.exit_status();
  const close_reason reason = lifecycle.reason().value_or(close_reason::error);
  const bool opening_failed = !lifecycle.established() && !lifecycle.cut_by_user();
  const std::string_view error = opening_failed ? std::string_view(conn.opening_error()) : lifecycle.detail();
  switch (code) {
    case exit_http_status:
      terminal::complain(fmt::format("the server answered HTTP {} {}", https->status, https->reason));
      break;
    case exit_clean:
      if (https)
        term.status(fmt::format("closed: HTTP {} {}, {} body bytes, then {}", https->status, https->reason,
                                https->body_bytes, to_string(reason)));
      else if (ws)
        term.status(fmt::format("closed: close 1000 {}, then {} ({} messages sent, {} received)",
                                ws->we_closed_first ? "answered" : "from the server", to_string(reason),
                                ws->messages_sent, ws->messages_received));
      else
        term.status(fmt::format("closed: {} ({} bytes sent, {} received)", to_string(reason), conn.bytes_sent(),
                                conn.bytes_received()));
      break;
    case exit_websocket_closed:
      terminal::complain(fmt::format("the server closed the WebSocket with {}{}{}", *ws->close_code,
                                     ws->close_reason.empty() ? "" : ": ", ws->close_reason));
      break;
    case exit_upgrade_refused:
      terminal::complain(fmt::format("the server refused the WebSocket upgrade: HTTP {} {}", ws->upgrade_status,
                                     ws->upgrade_reason));
      break;
    case exit_truncated:
      if (https && (!https->complete || lifecycle.exit_status() == exit_clean)) {
        terminal::complain(https->status == 0 ? "the connection ended before any response"
                                              : fmt::format("the response was cut short after {} body bytes: the data is incomplete",
                                                            https->body_bytes));
        break;
      }
      if (ws && lifecycle.exit_status() == exit_clean) {
        terminal::complain(ws->upgraded() ? "the WebSocket ended without a close frame: the data may be incomplete"
                                          : "the connection ended before the server answered the WebSocket upgrade");
        break;
      }
      term.status(lifecycle.half_closed()
                      ? "the server closed the connection without close_notify after our end of input: the data may be incomplete"
                      : "the server closed the connection without close_notify: the data may be incomplete");
      break;
    case exit_shutdown_timeout:
      if (lifecycle.write_cut())
        terminal::complain("the server stopped reading: our last bytes were not taken within " +
                           format_duration(config.shutdown_timeout) + ", so the connection ended without close_notify");
      else if (ws && ws->upgraded() && !ws->close_code)
        terminal::complain("the server did not answer our close frame within " + format_duration(config.shutdown_timeout));
      else
        terminal::complain("the server did not answer our close_notify within " + format_duration(config.shutdown_timeout));
      break;
    default:
      if (opening_failed) terminal::complain(error);
      else terminal::complain(fmt::format("connection ended: {}{}{}", to_string(reason), error.empty() ? "" : ": ", error));
  }
  if (config.json) print_json(conn, config, code, error);
  return code;
}

}  // namespace closenotify::cli
