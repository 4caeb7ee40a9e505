#include <boost/test/unit_test.hpp>

#include "closenotify/command.hpp"

using namespace closenotify;

BOOST_AUTO_TEST_SUITE(command_parsing)

BOOST_AUTO_TEST_CASE(plain_lines_are_echo) {
  BOOST_TEST((parse_command("hello /quit").kind == command_kind::echo));
  BOOST_TEST((parse_command("").kind == command_kind::echo));
  BOOST_TEST((parse_command(" /quit").kind == command_kind::echo));
}

BOOST_AUTO_TEST_CASE(known_commands) {
  BOOST_TEST((parse_command("/quit").kind == command_kind::quit));
  BOOST_TEST((parse_command("/ping").kind == command_kind::ping));
  BOOST_TEST((parse_command("/stats").kind == command_kind::stats));
  BOOST_TEST((parse_command("/help").kind == command_kind::help));
  BOOST_TEST((parse_command("/quit  ").kind == command_kind::quit));
}

BOOST_AUTO_TEST_CASE(bulk_takes_a_byte_count) {
  const auto c = parse_command("/bulk 100000000");
  BOOST_TEST((c.kind == command_kind::bulk));
  BOOST_TEST(c.bulk_bytes == 100000000u);
  BOOST_TEST((parse_command("/bulk 0").kind == command_kind::bulk));
}

BOOST_AUTO_TEST_CASE(bulk_refuses_missing_negative_junk_and_huge_counts) {
  for (auto bad : {"/bulk", "/bulk -1", "/bulk 12x", "/bulk 1 2", "/bulk 99999999999999999999", "/bulk 1099511627777"})
    BOOST_TEST((parse_command(bad).kind == command_kind::bad_argument), bad);
}

BOOST_AUTO_TEST_CASE(arguments_to_argumentless_commands_are_refused) {
  const auto c = parse_command("/quit now");
  BOOST_TEST((c.kind == command_kind::bad_argument));
  BOOST_TEST(c.name == "quit");
}

BOOST_AUTO_TEST_CASE(unknown_commands_keep_their_name) {
  const auto c = parse_command("/frobnicate 3");
  BOOST_TEST((c.kind == command_kind::unknown));
  BOOST_TEST(c.name == "frobnicate");
}

BOOST_AUTO_TEST_SUITE_END()
