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
  c.closed[static_cast<std::size_t>(close_reason::clean)] = 6;
  c.closed[static_cast<std::size_t>(close_reason::handshake_failed)] = 1;
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
    } else {
      samples[first] = second;
    }
  }
  for (const auto& [name, n] : help) BOOST_TEST((n == 1 && type[name] == 1), name);
  BOOST_TEST(samples["closenotify_connections_accepted_total"] == "10");
  BOOST_TEST(samples["closenotify_connections_active"] == "3");
  BOOST_TEST(samples["closenotify_connections_closed_total{reason=\"clean\"}"] == "6");
  BOOST_TEST(samples["closenotify_connections_closed_total{reason=\"local_quit\"}"] == "0");
  BOOST_TEST(samples["closenotify_handshake_failures_total"] == "1");
  BOOST_TEST(samples["closenotify_received_bytes_total"] == "1234");
  BOOST_TEST(samples["closenotify_sent_bytes_total"] == "5678");
  BOOST_TEST(samples["closenotify_draining"] == "0");
  BOOST_TEST(prometheus_text(c, true).find("closenotify_draining 1\n") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
