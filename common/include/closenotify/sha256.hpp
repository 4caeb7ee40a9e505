// Incremental SHA-256 (OpenSSL EVP) for /bulk trailers and transfer checks.
#pragma once

#include <memory>
#include <span>
#include <string>

struct evp_md_ctx_st;

namespace closenotify {

class sha256 {
 public:
  sha256();
  sha256(sha256&&) noexcept;
  sha256& operator=(sha256&&) noexcept;
  ~sha256();

  void update(std::span<const char> data);
  std::string hex_digest();  // finishes the hash; the object starts over afterwards

 private:
  struct free_ctx {
    void operator()(evp_md_ctx_st* ctx) const noexcept;
  };
  std::unique_ptr<evp_md_ctx_st, free_ctx> ctx_;
};

}  // namespace closenotify
