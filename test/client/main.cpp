#define BOOST_TEST_MODULE closenotify-cli tests
#include <csignal>

#include <boost/test/unit_test.hpp>

struct ignore_sigpipe {
  ignore_sigpipe() { std::signal(SIGPIPE, SIG_IGN); }
};
BOOST_TEST_GLOBAL_FIXTURE(ignore_sigpipe);
