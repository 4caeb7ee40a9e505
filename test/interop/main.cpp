#define BOOST_TEST_MODULE closenotify interop tests
#include <boost/test/unit_test.hpp>
