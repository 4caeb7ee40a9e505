// Beast's compiled parts for closenotify-bench's WebSocket modes (ws_mode.cpp), once for the
// whole program (BOOST_BEAST_SEPARATE_COMPILATION), as server/beast_impl.cpp is for the server.
#include <boost/beast/src.hpp>
