// What HTTP hands to the WebSocket handler when a request asks to become a WebSocket: the
// request Beast parsed, and the bytes that came after it (already the WebSocket's).
#pragma once

#include <cstdint>
#include <string>

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

namespace closenotify::server {

enum class websocket_service : std::uint8_t {
  echo,    // /ws: every message back as it came, text or binary
  status,  // /ws/status: every message answered with the server's counters (JSON), for the status page
};

struct websocket_upgrade {
  boost::beast::http::request<boost::beast::http::string_body> request;
  std::string received;
  websocket_service service = websocket_service::echo;
};

}  // namespace closenotify::server
