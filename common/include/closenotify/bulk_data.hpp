// The deterministic byte stream behind /bulk N: both ends can regenerate it, so a receiver
// can check every byte by position, not only the trailing SHA-256.
#pragma once

#include <cstdint>
#include <span>

namespace closenotify {

// Printable bytes (64-byte lines ending in LF), a pure function of the offset.
void fill_bulk_data(std::uint64_t offset, std::span<char> out) noexcept;

}  // namespace closenotify
