#define BOOST_TEST_MODULE closenotify web tests
#include <csignal>

#include <boost/test/unit_test.hpp>

// The tests' own peers write to sockets the server may have reset.
struct ignore_sigpipe {
  ignore_sigpipe() { std::signal(SIGPIPE, SIG_IGN); }
};
BOOST_TEST_GLOBAL_FIXTURE(ignore_sigpipe);
