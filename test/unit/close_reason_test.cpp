#include <boost/test/unit_test.hpp>

#include <boost/asio/error.hpp>
#include <boost/asio/ssl/error.hpp>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "closenotify/close_reason.hpp"

using namespace closenotify;
namespace error = boost::asio::error;

namespace {
boost::system::error_code ssl_error(int reason) {
  return {static_cast<int>(ERR_PACK(ERR_LIB_SSL, 0, reason)), error::get_ssl_category()};
}
}  // namespace

BOOST_AUTO_TEST_SUITE(reason_mapping)

BOOST_AUTO_TEST_CASE(every_reason_round_trips_through_its_name) {
  for (auto r : all_close_reasons) {
    const auto parsed = parse_close_reason(to_string(r));
    BOOST_REQUIRE(parsed.has_value());
    BOOST_TEST((*parsed == r));
  }
  BOOST_TEST(!parse_close_reason("nonsense").has_value());
}

BOOST_AUTO_TEST_CASE(close_notify_is_clean) {
  BOOST_TEST((classify_io_error(error::eof) == close_reason::clean));
}

BOOST_AUTO_TEST_CASE(short_read_is_peer_truncated_and_ordinary) {
  BOOST_TEST((classify_io_error(boost::asio::ssl::error::stream_truncated) == close_reason::peer_truncated));
  BOOST_TEST(is_ordinary(close_reason::peer_truncated));
  BOOST_TEST(tls_failed_by(boost::asio::ssl::error::stream_truncated));
}

BOOST_AUTO_TEST_CASE(reset_and_broken_pipe_are_peer_reset) {
  for (auto ec : {boost::system::error_code(error::connection_reset), boost::system::error_code(error::broken_pipe),
                  boost::system::error_code(error::connection_aborted)}) {
    BOOST_TEST((classify_io_error(ec) == close_reason::peer_reset), ec.message());
    BOOST_TEST(tls_failed_by(ec));
  }
}

BOOST_AUTO_TEST_CASE(tls_layer_failures_are_protocol_errors) {
  const auto bad_mac = ssl_error(SSL_R_DECRYPTION_FAILED_OR_BAD_RECORD_MAC);
  BOOST_TEST((classify_io_error(bad_mac) == close_reason::protocol_error));
  BOOST_TEST(tls_failed_by(bad_mac));
  BOOST_TEST(!is_ordinary(close_reason::protocol_error));
}

BOOST_AUTO_TEST_CASE(application_data_after_close_notify_is_recognised) {
  BOOST_TEST(is_application_data_after_close_notify(ssl_error(SSL_R_APPLICATION_DATA_AFTER_CLOSE_NOTIFY)));
  BOOST_TEST(!is_application_data_after_close_notify(ssl_error(SSL_R_DECRYPTION_FAILED_OR_BAD_RECORD_MAC)));
  BOOST_TEST(!is_application_data_after_close_notify(error::eof));
}

BOOST_AUTO_TEST_CASE(eof_leaves_tls_usable_for_our_close_notify) {
  BOOST_TEST(!tls_failed_by(error::eof));
}

BOOST_AUTO_TEST_CASE(anything_else_is_error) {
  BOOST_TEST((classify_io_error(error::no_memory) == close_reason::error));
}

BOOST_AUTO_TEST_SUITE_END()
