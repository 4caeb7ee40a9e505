#include "closenotify/metrics.hpp"

#include <fmt/format.h>

namespace closenotify {

namespace {
void family(std::string& out, std::string_view name, std::string_view type, std::string_view help) {
  fmt::format_to(std::back_inserter(out), "# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
}

void sample(std::string& out, std::string_view name, std::uint64_t value) {
  fmt::format_to(std::back_inserter(out), "{} {}\n", name, value);
}
}  // namespace

std::string prometheus_text(const counters_snapshot& counts, bool draining) {
  std::string out;
  out.reserve(2048);
  family(out, "closenotify_connections_accepted_total", "counter", "TCP connections accepted.");
  sample(out, "closenotify_connections_accepted_total", counts.accepted);
  family(out, "closenotify_connections_active", "gauge", "Connections accepted and not yet closed.");
  sample(out, "closenotify_connections_active", counts.active());
  family(out, "closenotify_connections_closed_total", "counter",
         "Connections closed, by the one reason each ends with (the README's close reasons).");
  for (close_reason r : all_close_reasons)
    fmt::format_to(std::back_inserter(out), "closenotify_connections_closed_total{{reason=\"{}\"}} {}\n", to_string(r),
                   counts.closed_by(r));
  family(out, "closenotify_handshake_failures_total", "counter", "TLS handshakes that failed or timed out.");
  sample(out, "closenotify_handshake_failures_total", counts.handshake_failures());
  family(out, "closenotify_received_bytes_total", "counter", "Application bytes received, after TLS.");
  sample(out, "closenotify_received_bytes_total", counts.bytes_in);
  family(out, "closenotify_sent_bytes_total", "counter", "Application bytes sent, before TLS.");
  sample(out, "closenotify_sent_bytes_total", counts.bytes_out);
  family(out, "closenotify_draining", "gauge", "1 from the first moment of a drain (SIGTERM, SIGINT), else 0.");
  sample(out, "closenotify_draining", draining ? 1 : 0);
  return out;
}

}  // namespace closenotify
