#include <boost/test/unit_test.hpp>

#include "closenotify/config_parse.hpp"

using namespace closenotify;
using std::chrono::milliseconds;

BOOST_AUTO_TEST_SUITE(config)

BOOST_AUTO_TEST_CASE(durations_with_units) {
  BOOST_TEST(parse_duration("250ms")->count() == 250);
  BOOST_TEST(parse_duration("5s")->count() == 5000);
  BOOST_TEST(parse_duration("2m")->count() == 120000);
  BOOST_TEST(parse_duration("1h")->count() == 3600000);
  BOOST_TEST(parse_duration("10")->count() == 10000);
  BOOST_TEST(parse_duration("0.5")->count() == 500);
}

BOOST_AUTO_TEST_CASE(durations_are_written_back_as_the_options_take_them) {
  BOOST_TEST(format_duration(milliseconds(5000)) == "5s");
  BOOST_TEST(format_duration(milliseconds(250)) == "250ms");
  BOOST_TEST(format_duration(milliseconds(1500)) == "1500ms");
  BOOST_TEST(parse_duration(format_duration(milliseconds(1500)))->count() == 1500);
}

BOOST_AUTO_TEST_CASE(bad_durations_are_refused) {
  for (auto bad : {"", "s", "5x", "-1s", "5 s", "nan", "1e30"}) BOOST_TEST(!parse_duration(bad).has_value(), bad);
}

BOOST_AUTO_TEST_CASE(host_port_forms) {
  auto a = parse_host_port("example.org:443", 4433);
  BOOST_REQUIRE(a);
  BOOST_TEST(a->host == "example.org");
  BOOST_TEST(a->port == 443);
  auto b = parse_host_port("localhost", 4433);
  BOOST_REQUIRE(b);
  BOOST_TEST(b->port == 4433);
  auto c = parse_host_port("[::1]:8443", 4433);
  BOOST_REQUIRE(c);
  BOOST_TEST(c->host == "::1");
  BOOST_TEST(c->port == 8443);
  auto d = parse_host_port("[::1]", 4433);
  BOOST_REQUIRE(d);
  BOOST_TEST(d->port == 4433);
  auto e = parse_host_port("127.0.0.1:0", 4433);
  BOOST_REQUIRE(e);
  BOOST_TEST(e->port == 0);
}

BOOST_AUTO_TEST_CASE(bad_host_ports_are_refused) {
  for (auto bad : {"", ":443", "host:", "host:65536", "host:x", "::1", "[::1", "[]:4", "[::1]x", "h:1:2"})
    BOOST_TEST(!parse_host_port(bad, 4433).has_value(), bad);
}

BOOST_AUTO_TEST_SUITE_END()
