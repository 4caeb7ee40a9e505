#include "closenotify/tls_stream.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>

#include <sys/socket.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

namespace closenotify {

namespace {
// Enough for a small record (a line and its 22 bytes of TLS 1.3 overhead): when what arrived
// fits, the stream knows the socket is empty again and waits instead of calling recv for an
// EAGAIN. More than fits is read straight into OpenSSL's buffer. Every idle connection holds
// one, so it stays small.
constexpr std::size_t stage_size = 256;
}  // namespace

struct tls_stream::core {
  SSL* ssl = nullptr;
  int fd = -1;
  bool eof = false;       // the peer's FIN has been read
  bool drained = true;    // the last read found the socket empty: wait before reading again
  int sys_error = 0;      // errno of a socket call that failed during the current SSL call
  bool read_starved = false;  // the last read_some_now needs more than OpenSSL holds
  want read_blocked = want::input;
  want write_blocked = want::output;
  bool close_notify_out = false;
  bool closing = false;  // writing our close_notify: hold it for the FIN that follows
  std::size_t stage_begin = 0;
  std::size_t stage_end = 0;
  std::array<char, stage_size> stage;

  ~core() { SSL_free(ssl); }
};

// The BIO callbacks reach the stream's core through BIO_get_data.
struct tls_stream_bio {
  static tls_stream::core& of(BIO* bio) { return *static_cast<tls_stream::core*>(BIO_get_data(bio)); }
};

namespace {
int socket_read(BIO* bio, char* out, int len) {
  auto& c = tls_stream_bio::of(bio);
  BIO_clear_retry_flags(bio);
  if (len <= 0) return 0;
  if (c.stage_begin < c.stage_end) {
    const std::size_t n = std::min(static_cast<std::size_t>(len), c.stage_end - c.stage_begin);
    std::memcpy(out, c.stage.data() + c.stage_begin, n);
    c.stage_begin += n;
    return static_cast<int>(n);
  }
  if (c.eof) return 0;
  if (c.drained) {
    BIO_set_retry_read(bio);
    return -1;
  }
  for (;;) {
    const ssize_t r = ::recv(c.fd, out, static_cast<std::size_t>(len), MSG_DONTWAIT);
    if (r > 0) {
      c.drained = r < len;
      return static_cast<int>(r);
    }
    if (r == 0) {
      c.eof = true;
      return 0;
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      c.drained = true;
      BIO_set_retry_read(bio);
      return -1;
    }
    c.sys_error = errno;
    return -1;
  }
}

int socket_write(BIO* bio, const char* in, int len) {
  auto& c = tls_stream_bio::of(bio);
  BIO_clear_retry_flags(bio);
  for (;;) {
    const int more = c.closing ? MSG_MORE : 0;
    const ssize_t r = ::send(c.fd, in, static_cast<std::size_t>(len), MSG_DONTWAIT | MSG_NOSIGNAL | more);
    if (r >= 0) return static_cast<int>(r);
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      BIO_set_retry_write(bio);
      return -1;
    }
    c.sys_error = errno;
    return -1;
  }
}

long socket_ctrl(BIO* bio, int cmd, long, void*) {
  auto& c = tls_stream_bio::of(bio);
  switch (cmd) {
    case BIO_CTRL_FLUSH: return 1;  // nothing is buffered on the way out
    case BIO_CTRL_EOF: return c.eof ? 1 : 0;
    case BIO_CTRL_PENDING: return static_cast<long>(c.stage_end - c.stage_begin);
    default: return 0;
  }
}

int socket_create(BIO* bio) {
  BIO_set_init(bio, 1);
  return 1;
}

// The fd belongs to the tcp::socket: this BIO never closes it. send() with MSG_NOSIGNAL: a
// peer gone away must give EPIPE, not kill the process with SIGPIPE.
BIO_METHOD* socket_method() {
  static BIO_METHOD* const method = [] {
    BIO_METHOD* m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "closenotify socket");
    if (m == nullptr || BIO_meth_set_read(m, socket_read) != 1 || BIO_meth_set_write(m, socket_write) != 1 ||
        BIO_meth_set_ctrl(m, socket_ctrl) != 1 || BIO_meth_set_create(m, socket_create) != 1)
      throw boost::system::system_error(error_code(asio::error::no_memory), "BIO_meth_new");
    return m;
  }();
  return method;
}
}  // namespace

tls_stream::tls_stream(tcp::socket socket, ssl::context& ctx)
    : socket_(std::move(socket)), core_(std::make_unique<core>()) {
  SSL* ssl = SSL_new(ctx.native_handle());
  if (ssl == nullptr)
    throw boost::system::system_error(
        error_code(static_cast<int>(ERR_get_error()), asio::error::get_ssl_category()), "SSL_new");
  core_->ssl = ssl;
  // Partial writes and a moving buffer: what asio::ssl::stream sets too, so a write returns
  // after each record and may be retried from wherever the caller's buffer now lives.
  SSL_set_mode(ssl, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER | SSL_MODE_RELEASE_BUFFERS);
  // One recv takes every record that is there (not a 5-byte header, then the body).
  SSL_set_read_ahead(ssl, 1);
  // A TCP end without close_notify is told apart by the BIO's eof flag (stream_truncated).
  // Without this option OpenSSL would also answer it with a decode_error alert.
  SSL_set_options(ssl, SSL_OP_IGNORE_UNEXPECTED_EOF);
  BIO* bio = BIO_new(socket_method());
  if (bio == nullptr) throw boost::system::system_error(error_code(asio::error::no_memory), "BIO_new");
  BIO_set_data(bio, core_.get());
  SSL_set_bio(ssl, bio, bio);
}

tls_stream::tls_stream(asio::io_context& ioc, ssl::context& ctx) : tls_stream(tcp::socket(ioc), ctx) {}
tls_stream::tls_stream(tls_stream&&) noexcept = default;
tls_stream& tls_stream::operator=(tls_stream&&) noexcept = default;
tls_stream::~tls_stream() = default;

ssl_st* tls_stream::native_handle() noexcept { return core_->ssl; }

namespace {
// Mirrors asio::ssl::stream's mapping (engine.ipp), with the transport's end and errors seen
// by our BIO instead of by Asio's reads.
error_code failure(int ssl_error, bool eof, int sys_error) {
  const unsigned long queued = ERR_get_error();
  ERR_clear_error();
  if (sys_error != 0) return error_code(sys_error, asio::error::get_system_category());
  if (eof && (ssl_error == SSL_ERROR_ZERO_RETURN || ssl_error == SSL_ERROR_SYSCALL))
    return ssl::error::stream_truncated;  // TCP ended before the peer's close_notify
  if (ssl_error == SSL_ERROR_ZERO_RETURN) return asio::error::eof;
  if (ssl_error == SSL_ERROR_SSL) {
    if (ERR_GET_REASON(queued) == SSL_R_UNEXPECTED_EOF_WHILE_READING) return ssl::error::stream_truncated;
    return error_code(static_cast<int>(queued), asio::error::get_ssl_category());
  }
  if (ssl_error == SSL_ERROR_SYSCALL) {
    if (queued != 0) return error_code(static_cast<int>(queued), asio::error::get_ssl_category());
    return ssl::error::unspecified_system_error;
  }
  return ssl::error::unexpected_result;
}
}  // namespace

namespace {
// Nothing but alerts follow our close_notify: a record buffer sized for them instead of
// 16 KiB spares an allocation per connection that a drain of thousands pays for at once.
void shrink_write_buffer(SSL* ssl) {
  if ((SSL_get_shutdown(ssl) & SSL_SENT_SHUTDOWN) == 0) SSL_set_max_send_fragment(ssl, 512);
}
}  // namespace

// RFC 8446 6.1: close_notify comes before closing our write side, and nothing of ours can
// follow it, so the FIN goes now, in the same segment (MSG_MORE held the alert back for it).
// One segment fewer per close for both ends, and a peer that reads no TLS sees the end too.
void tls_stream::close_notify_sent() noexcept {
  core& c = *core_;
  c.close_notify_out = true;
  c.closing = false;
  ::shutdown(c.fd, SHUT_WR);
}

tls_stream::step tls_stream::handshake_op::attempt() {
  if (!begun) {
    begun = true;
    if (type == ssl::stream_base::client) SSL_set_connect_state(s.core_->ssl);
    else SSL_set_accept_state(s.core_->ssl);
  }
  return s.handshake_step();
}

bool tls_stream::begin_ssl_call(error_code& ec) noexcept {
  // After close() the number may already belong to another connection: never touch it.
  if (!socket_.is_open()) {
    ec = asio::error::bad_descriptor;
    return false;
  }
  core& c = *core_;
  const int fd = socket_.native_handle();
  if (fd != c.fd) {  // a client's connect may have opened a new socket since construction
    c.fd = fd;
    c.eof = false;
    c.drained = true;
    c.stage_begin = c.stage_end = 0;
  }
  // A stale error would turn the next SSL_get_error into SSL_ERROR_SSL. Peeking is cheaper
  // than clearing an empty queue, on every read and write.
  if (ERR_peek_error() != 0) ERR_clear_error();
  c.sys_error = 0;
  return true;
}

tls_stream::step tls_stream::outcome(int ssl_result) {
  const core& c = *core_;
  const int e = SSL_get_error(c.ssl, ssl_result);
  if (e == SSL_ERROR_WANT_READ) return step{want::input, {}, 0};
  if (e == SSL_ERROR_WANT_WRITE) return step{want::output, {}, 0};
  return step{want::nothing, failure(e, c.eof, c.sys_error), 0};
}

tls_stream::step tls_stream::handshake_step() {
  error_code ec;
  if (!begin_ssl_call(ec)) return step{want::nothing, ec, 0};
  const int r = SSL_do_handshake(core_->ssl);
  return r == 1 ? step{} : outcome(r);
}

tls_stream::step tls_stream::read_step(asio::mutable_buffer buffer) {
  if (buffer.size() == 0) return {};
  error_code ec;
  if (!begin_ssl_call(ec)) return step{want::nothing, ec, 0};
  core& c = *core_;
  std::size_t n = 0;
  if (SSL_read_ex(c.ssl, buffer.data(), buffer.size(), &n) == 1) {
    c.read_starved = false;
    return step{want::nothing, {}, n};
  }
  step r = outcome(0);
  if (r.next != want::nothing) {
    c.read_starved = true;
    c.read_blocked = r.next;
  }
  return r;
}

tls_stream::step tls_stream::write_step(asio::const_buffer buffer) {
  if (buffer.size() == 0) return {};
  error_code ec;
  if (!begin_ssl_call(ec)) return step{want::nothing, ec, 0};
  core& c = *core_;
  std::size_t n = 0;
  if (SSL_write_ex(c.ssl, buffer.data(), buffer.size(), &n) == 1) return step{want::nothing, {}, n};
  step r = outcome(0);
  if (r.next != want::nothing) c.write_blocked = r.next;
  return r;
}

tls_stream::step tls_stream::shutdown_step() {
  error_code ec;
  if (!begin_ssl_call(ec)) return step{want::nothing, ec, 0};
  core& c = *core_;
  shrink_write_buffer(c.ssl);
  if (!c.close_notify_out) c.closing = true;
  // 0: our close_notify is out, the peer's not yet in; the next call reads it.
  int r = SSL_shutdown(c.ssl);
  if (r == 0 && !c.close_notify_out) {
    close_notify_sent();
    r = SSL_shutdown(c.ssl);
  }
  // With SSL_OP_IGNORE_UNEXPECTED_EOF a bare FIN counts as "received", and OpenSSL 3.0 then
  // forgets that ours was sent (SSL_set_shutdown overwrites the flags): it returns 0, and
  // one more call would send a second close_notify into our shut write side (EPIPE).
  if (r == 1 || (r == 0 && c.eof)) {
    if (!c.close_notify_out) close_notify_sent();
    return step{want::nothing, c.eof ? error_code(ssl::error::stream_truncated) : error_code{}, 0};
  }
  if (r == 0) return step{want::input, {}, 0};
  return outcome(r);
}

void tls_stream::send_close_notify_now(error_code& ec) {
  ec = {};
  core& c = *core_;
  // Once it is out, SSL_shutdown would go on to read the peer's: not ours to do here.
  if (c.close_notify_out) return;
  if (!begin_ssl_call(ec)) return;
  shrink_write_buffer(c.ssl);
  c.closing = true;
  const int r = SSL_shutdown(c.ssl);
  if (r >= 0) {
    close_notify_sent();
    return;
  }
  const step s = outcome(r);
  if (s.next != want::nothing) {
    c.write_blocked = s.next;
    ec = asio::error::would_block;
    return;
  }
  c.closing = false;
  ec = s.ec;
}

namespace {
// A step as the non-blocking calls report it: needing the socket is would_block.
template <class Step>
std::size_t settle(const Step& r, error_code& ec) {
  ec = r.next != decltype(r.next)::nothing ? error_code(asio::error::would_block) : r.ec;
  return r.bytes;
}
}  // namespace

std::size_t tls_stream::read_some_now(asio::mutable_buffer buffer, error_code& ec) {
  return settle(read_step(buffer), ec);
}

std::size_t tls_stream::write_some_now(asio::const_buffer buffer, error_code& ec) {
  return settle(write_step(buffer), ec);
}

asio::mutable_buffer tls_stream::record_scratch() noexcept {
  thread_local std::array<char, max_record> scratch;
  return asio::buffer(scratch);
}

tls_stream::step tls_stream::readable_step() const {
  const core& c = *core_;
  if (c.stage_begin < c.stage_end || c.eof) return {};
  // A partly received record also counts as pending: only a read that was not starved may
  // trust it, or the wait would complete at once forever. Likewise a socket that filled the
  // last read probably holds more: read it straight away rather than stage a few bytes first.
  if (!c.read_starved && (SSL_has_pending(c.ssl) == 1 || !c.drained)) return {};
  return step{c.read_starved ? c.read_blocked : want::input, {}, 0};
}

tls_stream::want tls_stream::blocked_on(bool reading) const noexcept {
  return reading ? core_->read_blocked : core_->write_blocked;
}

asio::mutable_buffer tls_stream::stage_space() noexcept {
  core& c = *core_;
  c.stage_begin = c.stage_end = 0;
  return asio::buffer(c.stage);
}

void tls_stream::staged(const error_code& ec, std::size_t n) noexcept {
  core& c = *core_;
  c.stage_begin = 0;
  c.stage_end = n;
  if (ec == asio::error::eof) c.eof = true;
  // Asio read fewer bytes than there was room for: the socket is empty again.
  c.drained = n < c.stage.size();
  if (n > 0) c.read_starved = false;
}

void tls_stream::expect_input() noexcept { core_->drained = false; }

bool tls_stream::input_drained() const noexcept { return core_->drained; }

void tls_stream::release_buffers() noexcept {
  // SSL_MODE_RELEASE_BUFFERS frees the read buffer only after application data: a connection
  // idle since its handshake would keep ~17 KiB. Frees nothing that holds unread bytes.
  SSL_free_buffers(core_->ssl);
}

}  // namespace closenotify
