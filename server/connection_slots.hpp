// The --max-connections limit, shared by every worker: a listener takes a slot before it
// accepts, and the session that gets the connection gives it back when it ends (RAII).
#pragma once

#include <atomic>
#include <cstddef>
#include <functional>
#include <optional>
#include <utility>

namespace closenotify::server {

class connection_slots {
 public:
  class slot {
   public:
    slot() = default;
    slot(slot&& other) noexcept : owner_(std::exchange(other.owner_, nullptr)) {}
    slot& operator=(slot&& other) noexcept {
      if (this != &other) {
        give_back();
        owner_ = std::exchange(other.owner_, nullptr);
      }
      return *this;
    }
    ~slot() { give_back(); }

   private:
    friend class connection_slots;
    explicit slot(connection_slots* owner) : owner_(owner) {}
    void give_back() noexcept {
      if (owner_) std::exchange(owner_, nullptr)->release();
    }
    connection_slots* owner_ = nullptr;
  };

  // 0: no limit but the file descriptors. `on_freed` runs, on the releasing thread, when a
  // slot frees up while every slot was taken (listeners may be waiting).
  connection_slots(std::size_t limit, std::function<void()> on_freed);

  std::optional<slot> try_take() noexcept;
  std::size_t limit() const noexcept { return limit_; }

 private:
  void release() noexcept;

  std::size_t limit_;
  std::function<void()> on_freed_;
  std::atomic<std::size_t> taken_{0};
};

}  // namespace closenotify::server
