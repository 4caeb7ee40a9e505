// GET /: one page, embedded in the binary (no CDN, no build step). It opens wss:///ws/status
// on the server that served it and asks for the counters every second (active connections,
// closes by reason), and has an echo box on wss:///ws.
#pragma once

#include <string_view>

namespace closenotify::server {

extern const std::string_view status_page_html;

}  // namespace closenotify::server
