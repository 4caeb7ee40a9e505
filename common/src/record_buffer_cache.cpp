#include "closenotify/record_buffer_cache.hpp"

#include <array>
#include <cstddef>
#include <cstdlib>
#include <mutex>

#include <malloc.h>
#include <openssl/crypto.h>

namespace closenotify {

namespace {
// OpenSSL 3.0's record buffers: 16 KiB of plaintext plus record overhead and alignment.
constexpr std::size_t smallest_record_buffer = 16 * 1024;
constexpr std::size_t cached_block_size = 18 * 1024;
// Enough for every thread's read and write buffer in flight at once; 288 KiB at most.
constexpr std::size_t most_cached = 16;

// Never destroyed: OpenSSL frees memory during exit, after static destructors have run. The
// blocks stay reachable from here, so a leak checker does not count them.
struct cache {
  std::mutex lock;
  std::array<void*, most_cached> blocks{};
  std::size_t count = 0;
};
cache& the_cache() {
  static cache* const c = new cache;
  return *c;
}

bool is_cached_block(void* p) {
  const std::size_t usable = malloc_usable_size(p);
  return usable >= cached_block_size && usable < cached_block_size + 64;
}

void* cached_malloc(std::size_t n, const char*, int) {
  if (n < smallest_record_buffer || n > cached_block_size) return std::malloc(n);
  cache& c = the_cache();
  {
    const std::lock_guard guard(c.lock);
    if (c.count > 0) return c.blocks[--c.count];
  }
  return std::malloc(cached_block_size);
}

void* cached_realloc(void* p, std::size_t n, const char*, int) { return std::realloc(p, n); }

void cached_free(void* p, const char*, int) {
  if (p == nullptr) return;
  if (is_cached_block(p)) {
    cache& c = the_cache();
    const std::lock_guard guard(c.lock);
    if (c.count < most_cached) {
      c.blocks[c.count++] = p;
      return;
    }
  }
  std::free(p);
}
}  // namespace

bool install_record_buffer_cache() noexcept {
  the_cache();
  return CRYPTO_set_mem_functions(cached_malloc, cached_realloc, cached_free) == 1;
}

}  // namespace closenotify
