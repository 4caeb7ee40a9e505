// Asio and Asio.SSL compiled once, here (BOOST_ASIO_SEPARATE_COMPILATION): every other file
// includes only declarations, which keeps a 2-core build fast.
#include <boost/asio/impl/src.hpp>
#include <boost/asio/ssl/impl/src.hpp>
