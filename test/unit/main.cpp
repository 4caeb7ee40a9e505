#define BOOST_TEST_MODULE closenotify unit tests
#include <boost/test/unit_test.hpp>
