// Keeps a few of OpenSSL's freed record buffers for the next connection that needs one.
//
// SSL_MODE_RELEASE_BUFFERS (what keeps an idle connection small) gives a connection's ~17 KiB
// read and write buffers back after each burst, so OpenSSL asks for them again at the next
// message and at every close_notify of a drain. In a heap that has held thousands of
// connections, glibc serves each of those requests only after sorting its unsorted bin:
// _int_malloc was 15% of the server's CPU in the latency run after an idle phase (0.6% on a
// fresh heap) and 25% of a 10 000-connection drain. Record buffers taken from this cache
// need no search; every other allocation goes to malloc untouched.
#pragma once

namespace closenotify {

// Routes OpenSSL's allocations through the cache. Must run before OpenSSL allocates
// anything (first thing in main); returns false, and changes nothing, when it is too late.
bool install_record_buffer_cache() noexcept;

}  // namespace closenotify
