#include "closenotify/connection_record.hpp"

#include <vector>

#include "closenotify/log.hpp"

namespace closenotify {

connection_record::connection_record(counters& c, std::uint64_t id, std::string peer)
    : counters_(c), id_(id), peer_(std::move(peer)) {
  counters_.on_accept();
  log_event(log_level::debug, "accept", {{"id", id_}, {"peer", std::string_view(peer_)}});
}

connection_record::~connection_record() {
  if (!closed_) close(close_reason::error, "session ended without a close");
}

void connection_record::tls_established(std::string_view version, std::string_view cipher) noexcept {
  tls_slot_ = counters_.on_tls_established(version, cipher, std::chrono::steady_clock::now() - start_);
}

void connection_record::close(close_reason reason, std::string_view detail) {
  if (closed_) return;
  closed_ = true;
  const auto lived = std::chrono::steady_clock::now() - start_;
  counters_.on_close(reason, protocol_, lived, tls_slot_);
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(lived);
  // Ordinary endings are debug noise on a busy server; the rest deserve a look.
  const log_level level = is_ordinary(reason)               ? log_level::debug
                          : reason == close_reason::error ? log_level::warn
                                                          : log_level::info;
  if (!log_enabled(level)) return;  // a drain closes thousands at once: build nothing unlogged
  std::vector<log_field> fields{{"id", id_},
                                {"peer", std::string_view(peer_)},
                                {"reason", to_string(reason)},
                                {"protocol", to_string(protocol_)},
                                {"bytes_in", bytes_in_},
                                {"bytes_out", bytes_out_},
                                {"duration_ms", static_cast<std::uint64_t>(ms.count())}};
  if (!detail.empty()) fields.push_back({"detail", detail});
  log_event(level, "close", fields);
}

}  // namespace closenotify
