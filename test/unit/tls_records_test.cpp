// What one write of a buffer sequence puts into one TLS record (tls_stream::one_record).
#include <boost/test/unit_test.hpp>

#include <array>
#include <string>

#include "closenotify/tls_stream.hpp"

using closenotify::tls_stream;
namespace asio = boost::asio;

namespace {
std::string text(asio::const_buffer b) { return {static_cast<const char*>(b.data()), b.size()}; }
}  // namespace

BOOST_AUTO_TEST_SUITE(tls_records)

BOOST_AUTO_TEST_CASE(a_frame_header_and_its_payload_become_one_record) {
  const std::string header = "\x81\x07", payload = "echo me";
  const std::array<asio::const_buffer, 2> frame{asio::buffer(header), asio::buffer(payload)};
  BOOST_TEST(text(tls_stream::one_record(frame)) == header + payload);
}

BOOST_AUTO_TEST_CASE(a_lone_buffer_is_written_from_where_it_is) {
  const std::string payload(100, 'x');
  const std::array<asio::const_buffer, 3> with_empties{asio::const_buffer{}, asio::buffer(payload), asio::const_buffer{}};
  const auto record = tls_stream::one_record(with_empties);
  BOOST_TEST((record.data() == payload.data()), "copied, though nothing follows it");
  BOOST_TEST(record.size() == payload.size());
}

BOOST_AUTO_TEST_CASE(a_first_buffer_that_fills_a_record_is_not_copied) {
  const std::string header = std::string(tls_stream::max_record, 'h'), more = "more";
  const std::array<asio::const_buffer, 2> seq{asio::buffer(header), asio::buffer(more)};
  BOOST_TEST((tls_stream::one_record(seq).data() == header.data()), "copied, though it fills a record");
}

BOOST_AUTO_TEST_CASE(a_large_sequence_gives_one_full_record_from_its_start) {
  const std::string header = "\x82\x7f", payload(40'000, 'p');
  const std::array<asio::const_buffer, 2> frame{asio::buffer(header), asio::buffer(payload)};
  const auto record = tls_stream::one_record(frame);
  BOOST_TEST(record.size() == tls_stream::max_record);
  BOOST_TEST(text(record) == (header + payload).substr(0, tls_stream::max_record));
}

BOOST_AUTO_TEST_SUITE_END()
