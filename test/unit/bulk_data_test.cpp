#include <boost/test/unit_test.hpp>

#include <string>

#include "closenotify/bulk_data.hpp"
#include "closenotify/sha256.hpp"

using namespace closenotify;

BOOST_AUTO_TEST_SUITE(bulk_stream)

BOOST_AUTO_TEST_CASE(any_split_of_the_stream_gives_the_same_bytes) {
  std::string whole(300000, '\0');
  fill_bulk_data(0, whole);
  std::string pieces(whole.size(), '\0');
  for (std::size_t at = 0; at < pieces.size();) {
    const std::size_t n = std::min<std::size_t>(pieces.size() - at, 1 + (at * 7919) % 70000);
    fill_bulk_data(at, std::span<char>(pieces.data() + at, n));
    at += n;
  }
  BOOST_TEST((whole == pieces));
}

BOOST_AUTO_TEST_CASE(every_64th_byte_is_a_newline_and_the_rest_printable) {
  std::string data(1 << 16, '\0');
  fill_bulk_data(0, data);
  for (std::size_t i = 0; i < data.size(); ++i) {
    if (i % 64 == 63) BOOST_REQUIRE(data[i] == '\n');
    else BOOST_REQUIRE(std::isalnum(static_cast<unsigned char>(data[i])));
  }
}

BOOST_AUTO_TEST_CASE(sha256_matches_a_known_vector) {
  sha256 h;
  h.update(std::string_view("abc"));
  BOOST_TEST(h.hex_digest() == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  h.update(std::string_view(""));
  BOOST_TEST(h.hex_digest() == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

BOOST_AUTO_TEST_SUITE_END()
