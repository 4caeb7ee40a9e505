// closenotify-cli's BYE detection: after the server's BYE line, nothing more is owed to us.
#include <boost/test/unit_test.hpp>

#include "bye_detector.hpp"

using closenotify::cli::bye_detector;

BOOST_AUTO_TEST_SUITE(bye_detection)

BOOST_AUTO_TEST_CASE(bye_lines_are_seen_whole_across_reads) {
  for (const auto* text : {"BYE\n", "BYE shutting-down\n", "BYE idle-timeout\r\n", "hello\nBYE\n"}) {
    bye_detector d;
    const std::string_view all(text);
    bool seen = false;
    for (char c : all) seen = d.feed(std::string_view(&c, 1));  // one byte per read
    BOOST_TEST(seen, text);
  }
}

BOOST_AUTO_TEST_CASE(a_bye_line_not_yet_ended_or_a_longer_word_is_not_a_bye) {
  for (const auto* text : {"BYE", "BYEBYE\n", "GOODBYE\n", "bye\n", " BYE\n", "BY\nE\n"}) {
    bye_detector d;
    BOOST_TEST(!d.feed(text), text);
  }
}

BOOST_AUTO_TEST_CASE(once_seen_it_stays_seen) {
  bye_detector d;
  BOOST_TEST(d.feed("BYE\n"));
  BOOST_TEST(d.feed("more data\n"));
}

BOOST_AUTO_TEST_SUITE_END()
