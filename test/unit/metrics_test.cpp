// /metrics in the Prometheus text format: one HELP and one TYPE per family, counters ending
// in _total, a closed counter for every reason, figures equal to the server's counters.
#include <boost/test/unit_test.hpp>

#include <map>
#include <sstream>

#include "closenotify/metrics.hpp"

using namespace closenotify;

BOOST_AUTO_TEST_SUITE(prometheus_metrics)

BOOST_AUTO_TEST_CASE(every_family_is_described_once_and_holds_the_counters) {
  counters_snapshot c;
  c.accepted = 10;
  c.bytes_in = 1234;
  c.bytes_out = 5678;
  c.closed[static_cast<std::size_t>(close_reason::clean)][static_cast<std::size_t>(connection_protocol::http)] = 5;
  c.closed[static_cast<std::size_t>(close_reason::clean)][static_cast<std::size_t>(connection_protocol::raw)] = 1;
  c.closed[static_cast<std::size_t>(close_reason::handshake_failed)][static_cast<std::size_t>(connection_protocol::none)] = 1;
  c.handshake_seconds.counts[0] = 2;  // <= 0.5 ms
  c.handshake_seconds.counts[2] = 3;  // <= 2.5 ms
  c.handshake_seconds.counts.back() = 1;  // beyond 5 s
  c.handshake_seconds.sum_us = 6'004'000;
  c.tls.push_back({"TLSv1.3", "TLS_AES_128_GCM_SHA256", 9, 3});
  const std::string text = prometheus_text(c, false);

  std::map<std::string, int> help, type;
  std::map<std::string, std::string> samples;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    std::istringstream words(line);
    std::string first, second;
    words >> first >> second;
    if (first == "#" && second == "HELP") {
      std::string name;
      words >> name;
      ++help[name];
    } else if (first == "#" && second == "TYPE") {
      std::string name, kind;
      words >> name >> kind;
      ++type[name];
      if (kind == "counter") BOOST_TEST(name.ends_with("_total"), name);
      if (kind == "histogram") BOOST_TEST(name.ends_with("_seconds"), name);  // base units
    } else {
      samples[first] = second;
    }
  }
  for (const auto& [name, n] : help) BOOST_TEST((n == 1 && type[name] == 1), name);
  BOOST_TEST(samples["closenotify_connections_accepted_total"] == "10");
  BOOST_TEST(samples["closenotify_connections_active"] == "3");
  BOOST_TEST(samples["closenotify_connections_closed_total{reason=\"clean\",protocol=\"http\"}"] == "5");
  BOOST_TEST(samples["closenotify_connections_closed_total{reason=\"clean\",protocol=\"raw\"}"] == "1");
  BOOST_TEST(samples["closenotify_connections_closed_total{reason=\"local_quit\",protocol=\"line\"}"] == "0");
  // Buckets are cumulative and end at +Inf, which is the count.
  BOOST_TEST(samples["closenotify_handshake_duration_seconds_bucket{le=\"0.0005\"}"] == "2");
  BOOST_TEST(samples["closenotify_handshake_duration_seconds_bucket{le=\"0.001\"}"] == "2");
  BOOST_TEST(samples["closenotify_handshake_duration_seconds_bucket{le=\"0.0025\"}"] == "5");
  BOOST_TEST(samples["closenotify_handshake_duration_seconds_bucket{le=\"5\"}"] == "5");
  BOOST_TEST(samples["closenotify_handshake_duration_seconds_bucket{le=\"+Inf\"}"] == "6");
  BOOST_TEST(samples["closenotify_handshake_duration_seconds_count"] == "6");
  BOOST_TEST(samples["closenotify_handshake_duration_seconds_sum"] == "6.004");
  BOOST_TEST(samples["closenotify_tls_connections_total{version=\"TLSv1.3\",cipher=\"TLS_AES_128_GCM_SHA256\"}"] == "9");
  BOOST_TEST(samples["closenotify_tls_connections_active{version=\"TLSv1.3\",cipher=\"TLS_AES_128_GCM_SHA256\"}"] == "3");
  BOOST_TEST(samples["closenotify_handshake_failures_total"] == "1");
  BOOST_TEST(samples["closenotify_received_bytes_total"] == "1234");
  BOOST_TEST(samples["closenotify_sent_bytes_total"] == "5678");
  BOOST_TEST(samples["closenotify_draining"] == "0");
  BOOST_TEST(prometheus_text(c, true).find("closenotify_draining 1\n") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(per_thread_counters_place_each_handshake_and_close_where_it_belongs) {
  counters c;
  using namespace std::chrono_literals;
  const auto slot = c.on_tls_established("TLSv1.3", "TLS_AES_128_GCM_SHA256", 700us);
  const auto again = c.on_tls_established("TLSv1.3", "TLS_AES_128_GCM_SHA256", 3s);
  const auto other = c.on_tls_established("TLSv1.2", "ECDHE-ECDSA-AES128-GCM-SHA256", 2ms);
  BOOST_TEST(slot == again);
  BOOST_TEST(other != slot);
  c.on_accept();
  c.on_close(close_reason::peer_reset, connection_protocol::line, 42s, slot);
  const counters_snapshot s = c.snapshot();
  BOOST_TEST(s.closed_by(close_reason::peer_reset, connection_protocol::line) == 1u);
  BOOST_TEST(s.closed_by(close_reason::peer_reset) == 1u);
  BOOST_TEST(s.handshake_seconds.counts[1] == 1u);  // 0.7 ms: (0.5, 1] ms
  BOOST_TEST(s.handshake_seconds.counts[2] == 1u);   // 2 ms: (1, 2.5] ms
  BOOST_TEST(s.handshake_seconds.counts[11] == 1u);  // 3 s: (1, 5] s
  BOOST_TEST(s.handshake_seconds.count() == 3u);
  BOOST_TEST(s.duration_seconds.counts[5] == 1u);  // 42 s: (10, 60]
  BOOST_REQUIRE(s.tls.size() == 2u);
  BOOST_TEST(s.tls[0].established == 2u);
  BOOST_TEST(s.tls[0].active == 1u);
  BOOST_TEST(s.tls[1].version == "TLSv1.2");
}

BOOST_AUTO_TEST_SUITE_END()
