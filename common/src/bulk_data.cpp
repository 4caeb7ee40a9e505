#include "closenotify/bulk_data.hpp"

#include <algorithm>
#include <array>
#include <cstring>

namespace closenotify {

namespace {
// A prime period, so the pattern never lines up with power-of-two buffer or record sizes.
constexpr std::size_t period = 65521;

const std::array<char, period>& pattern() {
  static const std::array<char, period> table = [] {
    std::array<char, period> t{};
    constexpr char alphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789";
    std::uint64_t x = 0x9E3779B97F4A7C15ull;
    for (std::size_t i = 0; i < period; ++i) {
      x ^= x << 13;  // xorshift64
      x ^= x >> 7;
      x ^= x << 17;
      t[i] = alphabet[x % 36];
    }
    return t;
  }();
  return table;
}
}  // namespace

void fill_bulk_data(std::uint64_t offset, std::span<char> out) noexcept {
  const auto& table = pattern();
  std::size_t done = 0;
  while (done < out.size()) {
    const std::uint64_t pos = offset + done;
    const std::size_t at = static_cast<std::size_t>(pos % period);
    const std::size_t n = std::min(out.size() - done, period - at);
    std::memcpy(out.data() + done, table.data() + at, n);
    done += n;
  }
  // Every 64th byte of the stream is a newline, so a terminal shows lines, not one smear.
  const std::uint64_t first_nl = (63 - offset % 64) % 64;
  for (std::uint64_t i = first_nl; i < out.size(); i += 64) out[i] = '\n';
}

}  // namespace closenotify
