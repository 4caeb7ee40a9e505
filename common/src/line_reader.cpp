#include "closenotify/line_reader.hpp"

#include <cstring>

namespace closenotify {

namespace {
constexpr std::size_t idle_capacity = 4 * 1024;
}  // namespace

boost::asio::mutable_buffer line_reader::prepare(std::size_t size) {
  if (start_ == end_ && buf_.capacity() > idle_capacity) {
    // Everything was taken: a long line's buffer need not outlive it.
    std::string().swap(buf_);
    start_ = scan_ = end_ = 0;
  }
  if (start_ > 0) {
    std::memmove(buf_.data(), buf_.data() + start_, end_ - start_);
    scan_ -= start_;
    end_ -= start_;
    start_ = 0;
  }
  if (buf_.size() < end_ + size) buf_.resize(end_ + size);
  return boost::asio::buffer(buf_.data() + end_, size);
}

void line_reader::commit(std::size_t size) noexcept { end_ += size; }

void line_reader::append(std::string_view bytes) {
  if (bytes.empty()) return;
  std::memcpy(prepare(bytes.size()).data(), bytes.data(), bytes.size());
  commit(bytes.size());
}

line_reader::result line_reader::next() noexcept {
  const char* base = buf_.data();
  const void* lf = scan_ < end_ ? std::memchr(base + scan_, '\n', end_ - scan_) : nullptr;
  if (lf == nullptr) {
    scan_ = end_;
    // One byte of slack: the pending text may end in the CR of a CRLF.
    if (end_ - start_ > max_line_ + 1) return {status::too_long, {}};
    return {status::need_more, {}};
  }
  const auto pos = static_cast<std::size_t>(static_cast<const char*>(lf) - base);
  std::size_t len = pos - start_;
  if (len > 0 && base[pos - 1] == '\r') --len;
  if (len > max_line_) return {status::too_long, {}};
  std::string_view line(base + start_, len);
  start_ = pos + 1;
  scan_ = start_;
  return {status::line, line};
}

}  // namespace closenotify
