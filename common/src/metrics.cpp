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

template <std::size_t Bounds>
void histogram(std::string& out, std::string_view name, std::string_view help, const histogram_snapshot<Bounds>& h,
               const std::array<double, Bounds>& bounds) {
  family(out, name, "histogram", help);
  std::uint64_t cumulative = 0;
  for (std::size_t i = 0; i < Bounds; ++i) {
    cumulative += h.counts[i];
    fmt::format_to(std::back_inserter(out), "{}_bucket{{le=\"{}\"}} {}\n", name, bounds[i], cumulative);
  }
  cumulative += h.counts[Bounds];
  fmt::format_to(std::back_inserter(out), "{}_bucket{{le=\"+Inf\"}} {}\n{}_sum {}\n{}_count {}\n", name, cumulative, name,
                 static_cast<double>(h.sum_us) / 1e6, name, cumulative);
}

std::string prometheus_text(const counters_snapshot& counts, bool draining) {
  std::string out;
  out.reserve(8192);
  family(out, "closenotify_connections_accepted_total", "counter", "TCP connections accepted.");
  sample(out, "closenotify_connections_accepted_total", counts.accepted);
  family(out, "closenotify_connections_active", "gauge", "Connections accepted and not yet closed.");
  sample(out, "closenotify_connections_active", counts.active());
  family(out, "closenotify_connections_closed_total", "counter",
         "Connections closed, by the one reason each ends with (the README's close reasons) and the protocol it spoke.");
  for (close_reason r : all_close_reasons)
    for (connection_protocol p : all_connection_protocols)
      fmt::format_to(std::back_inserter(out), "closenotify_connections_closed_total{{reason=\"{}\",protocol=\"{}\"}} {}\n",
                     to_string(r), to_string(p), counts.closed_by(r, p));
  family(out, "closenotify_handshake_failures_total", "counter", "TLS handshakes that failed or timed out.");
  sample(out, "closenotify_handshake_failures_total", counts.handshake_failures());
  histogram(out, "closenotify_handshake_duration_seconds", "From the accept to the end of the TLS handshake.",
            counts.handshake_seconds, handshake_buckets);
  histogram(out, "closenotify_connection_duration_seconds", "From the accept to the close, of closed connections.",
            counts.duration_seconds, duration_buckets);
  family(out, "closenotify_tls_connections_total", "counter", "TLS handshakes completed, by version and cipher.");
  for (const tls_usage& u : counts.tls)
    fmt::format_to(std::back_inserter(out), "closenotify_tls_connections_total{{version=\"{}\",cipher=\"{}\"}} {}\n",
                   u.version, u.cipher, u.established);
  family(out, "closenotify_tls_connections_active", "gauge", "TLS connections open now, by version and cipher.");
  for (const tls_usage& u : counts.tls)
    fmt::format_to(std::back_inserter(out), "closenotify_tls_connections_active{{version=\"{}\",cipher=\"{}\"}} {}\n",
                   u.version, u.cipher, u.active);
  family(out, "closenotify_received_bytes_total", "counter", "Application bytes received, after TLS.");
  sample(out, "closenotify_received_bytes_total", counts.bytes_in);
  family(out, "closenotify_sent_bytes_total", "counter", "Application bytes sent, before TLS.");
  sample(out, "closenotify_sent_bytes_total", counts.bytes_out);
  family(out, "closenotify_draining", "gauge", "1 from the first moment of a drain (SIGTERM, SIGINT), else 0.");
  sample(out, "closenotify_draining", draining ? 1 : 0);
  return out;
}

}  // namespace closenotify
