// The bookkeeping of one connection: counted when accepted, and closed with exactly one
// reason, exactly once, whatever path ends it (seed 000: a disconnect handled twice).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "closenotify/close_reason.hpp"
#include "closenotify/counters.hpp"

namespace closenotify {

class connection_record {
 public:
  connection_record(counters& c, std::uint64_t id, std::string peer);
  connection_record(const connection_record&) = delete;
  connection_record& operator=(const connection_record&) = delete;
  // A record never closed explicitly (an exception unwound the session) still closes once.
  ~connection_record();

  void add_in(std::uint64_t n) noexcept { bytes_in_ += n; counters_.on_bytes_in(n); }
  void add_out(std::uint64_t n) noexcept { bytes_out_ += n; counters_.on_bytes_out(n); }
  void set_protocol(connection_protocol p) noexcept { protocol_ = p; }
  // The handshake is done: its time since the accept, and the version and cipher in use
  // (OpenSSL's static names).
  void tls_established(std::string_view version, std::string_view cipher) noexcept;

  // Records the close event; later calls are ignored. `detail` explains an unusual ending.
  void close(close_reason reason, std::string_view detail = {});


 private:
  counters& counters_;
  std::uint64_t id_;
  std::string peer_;
  connection_protocol protocol_ = connection_protocol::none;
  std::uint8_t tls_slot_ = counters::no_tls;
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
  std::uint64_t bytes_in_ = 0;
  std::uint64_t bytes_out_ = 0;
  bool closed_ = false;
};

}  // namespace closenotify
