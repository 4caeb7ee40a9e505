// OpenSSL's record buffers come back from the cache; everything else goes to malloc untouched.
#include <malloc.h>

#include <boost/test/unit_test.hpp>
#include <openssl/crypto.h>

#include "closenotify/record_buffer_cache.hpp"

namespace {
// Installed before any test touches OpenSSL, as the server does first thing in main.
struct install_before_openssl_allocates {
  install_before_openssl_allocates() { installed = closenotify::install_record_buffer_cache(); }
  static inline bool installed = false;
};
}  // namespace

BOOST_TEST_GLOBAL_FIXTURE(install_before_openssl_allocates);

BOOST_AUTO_TEST_SUITE(record_buffers)

BOOST_AUTO_TEST_CASE(a_freed_record_buffer_serves_the_next_one_and_small_blocks_pass_through) {
  BOOST_REQUIRE(install_before_openssl_allocates::installed);
  // OpenSSL 3.0's read buffer with read_ahead: 16 KiB of plaintext plus overhead.
  void* first = OPENSSL_malloc(16 * 1024 + 333);
  void* barrier = OPENSSL_malloc(64);  // keeps `first` from merging into the heap's top
  BOOST_TEST(malloc_usable_size(first) >= 18 * 1024u);  // one block size serves every request
  OPENSSL_free(first);
  // A larger record buffer than the freed one: plain malloc could not reuse that block.
  void* second = OPENSSL_malloc(17 * 1024);
  BOOST_TEST(second == first);
  void* small = OPENSSL_malloc(100);
  BOOST_TEST(malloc_usable_size(small) < 1024u);
  OPENSSL_free(small);
  OPENSSL_free(second);
  OPENSSL_free(barrier);
}

BOOST_AUTO_TEST_SUITE_END()
