// Beast's compiled parts (error categories, field tables, the HTTP parser, WebSocket helpers),
// once for the whole program (BOOST_BEAST_SEPARATE_COMPILATION).
#include <boost/beast/src.hpp>
