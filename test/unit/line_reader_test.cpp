#include <boost/test/unit_test.hpp>

#include <cstring>
#include <string>
#include <vector>

#include "closenotify/line_reader.hpp"

using closenotify::line_reader;

namespace {
void feed(line_reader& r, std::string_view bytes) {
  auto buf = r.prepare(bytes.size());
  std::memcpy(buf.data(), bytes.data(), bytes.size());
  r.commit(bytes.size());
}

std::vector<std::string> drain(line_reader& r, line_reader::status& last) {
  std::vector<std::string> lines;
  for (;;) {
    auto res = r.next();
    last = res.what;
    if (res.what != line_reader::status::line) return lines;
    lines.emplace_back(res.line);
  }
}
}  // namespace

BOOST_AUTO_TEST_SUITE(line_framing)

BOOST_AUTO_TEST_CASE(splits_lf_and_crlf_lines_and_strips_terminators) {
  line_reader r(64);
  feed(r, "one\ntwo\r\nthree\n");
  line_reader::status last{};
  const auto lines = drain(r, last);
  BOOST_TEST(lines == (std::vector<std::string>{"one", "two", "three"}), boost::test_tools::per_element());
  BOOST_TEST((last == line_reader::status::need_more));
}

BOOST_AUTO_TEST_CASE(keeps_a_partial_line_until_its_newline_arrives) {
  line_reader r(64);
  feed(r, "hel");
  line_reader::status last{};
  BOOST_TEST(drain(r, last).empty());
  BOOST_TEST((last == line_reader::status::need_more));
  feed(r, "lo wor");
  BOOST_TEST(drain(r, last).empty());
  feed(r, "ld\nnext");
  const auto lines = drain(r, last);
  BOOST_REQUIRE_EQUAL(lines.size(), 1u);
  BOOST_TEST(lines[0] == "hello world");
  BOOST_TEST(r.buffered() == 4u);  // "next" waits for its LF
}

BOOST_AUTO_TEST_CASE(crlf_split_across_reads_is_one_terminator) {
  line_reader r(64);
  feed(r, "abc\r");
  line_reader::status last{};
  BOOST_TEST(drain(r, last).empty());
  feed(r, "\n");
  const auto lines = drain(r, last);
  BOOST_REQUIRE_EQUAL(lines.size(), 1u);
  BOOST_TEST(lines[0] == "abc");
}

BOOST_AUTO_TEST_CASE(empty_lines_are_lines) {
  line_reader r(8);
  feed(r, "\n\r\n");
  line_reader::status last{};
  BOOST_TEST(drain(r, last).size() == 2u);
}

BOOST_AUTO_TEST_CASE(a_line_of_exactly_the_limit_is_accepted_with_or_without_cr) {
  line_reader r(8);
  feed(r, "12345678\n12345678\r\n");
  line_reader::status last{};
  BOOST_TEST(drain(r, last).size() == 2u);
  BOOST_TEST((last == line_reader::status::need_more));
}

BOOST_AUTO_TEST_CASE(a_terminated_line_over_the_limit_is_too_long) {
  line_reader r(8);
  feed(r, "123456789\n");
  BOOST_TEST((r.next().what == line_reader::status::too_long));
}

BOOST_AUTO_TEST_CASE(an_unterminated_line_over_the_limit_is_too_long_before_its_newline) {
  // The limit bounds memory: a peer that never sends LF is stopped, not buffered.
  line_reader r(8);
  feed(r, "1234567890");
  BOOST_TEST((r.next().what == line_reader::status::too_long));
}

BOOST_AUTO_TEST_CASE(buffer_stays_bounded_over_many_lines) {
  line_reader r(100);
  std::string chunk;
  for (int i = 0; i < 1000; ++i) chunk += "line number " + std::to_string(i) + "\n";
  std::size_t count = 0;
  for (std::size_t at = 0; at < chunk.size(); at += 37) {
    feed(r, std::string_view(chunk).substr(at, 37));
    line_reader::status last{};
    count += drain(r, last).size();
    BOOST_TEST(r.buffered() <= 100u);
  }
  BOOST_TEST(count == 1000u);
}

BOOST_AUTO_TEST_SUITE_END()
