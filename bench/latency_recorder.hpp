// Latency samples and their percentiles.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <vector>

namespace closenotify::bench {

class latency_recorder {
 public:
  void add(std::chrono::steady_clock::duration d) {
    samples_.push_back(std::chrono::duration_cast<std::chrono::nanoseconds>(d).count());
  }
  std::size_t count() const noexcept { return samples_.size(); }
  // p in [0, 1]; milliseconds; 0 without samples.
  double percentile_ms(double p) {
    if (samples_.empty()) return 0;
    if (!sorted_) {
      std::sort(samples_.begin(), samples_.end());
      sorted_ = true;
    }
    const auto at = static_cast<std::size_t>(p * static_cast<double>(samples_.size() - 1) + 0.5);
    return static_cast<double>(samples_[at]) / 1e6;
  }

 private:
  std::vector<std::int64_t> samples_;
  bool sorted_ = false;
};

}  // namespace closenotify::bench
