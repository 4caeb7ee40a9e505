// Names every file of closenotify uses for Asio, so none repeats the aliases.
#pragma once

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace closenotify {

namespace asio = boost::asio;
namespace ssl = boost::asio::ssl;
using tcp = boost::asio::ip::tcp;
using error_code = boost::system::error_code;
class tls_stream;  // closenotify/tls_stream.hpp

// Expected outcomes (eof, truncation, reset, cancellation) arrive as error_code values,
// never as exceptions: every co_await at the I/O boundary uses this token.
inline constexpr auto use_nothrow = asio::as_tuple(asio::use_awaitable);

}  // namespace closenotify
