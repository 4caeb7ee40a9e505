// Splits a byte stream into lines with a hard length limit, so a peer that never sends a
// newline cannot grow our memory (failure catalogue F14). Pure: no sockets.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include <boost/asio/buffer.hpp>

namespace closenotify {

class line_reader {
 public:
  enum class status { line, need_more, too_long };
  struct result {
    status what;
    std::string_view line;  // valid until the next call to prepare() or next()
  };

  explicit line_reader(std::size_t max_line) : max_line_(max_line) {}

  // Space for the next read from the socket; commit() the bytes that arrived.
  boost::asio::mutable_buffer prepare(std::size_t size);
  void commit(std::size_t size) noexcept;
  void append(std::string_view bytes);

  // The next complete line without its LF (and without a CR before the LF), need_more when
  // no complete line is buffered, or too_long once a line exceeds the limit.
  result next() noexcept;

  std::size_t buffered() const noexcept { return end_ - start_; }

 private:
  std::size_t max_line_;
  std::string buf_;
  std::size_t start_ = 0;  // first byte not yet returned
  std::size_t scan_ = 0;   // bytes before this are known to hold no LF
  std::size_t end_ = 0;    // end of the committed bytes
};

}  // namespace closenotify
