#include "web_support.hpp"

#include <boost/test/unit_test.hpp>

namespace closenotify::test {

finished run_to_exit(std::vector<std::string> argv, const std::string& input, std::chrono::milliseconds limit) {
  child_process child(piped(std::move(argv)));
  if (!input.empty()) child.write_stdin(input);
  child.close_stdin();
  const auto status = child.wait_exit(limit);
  BOOST_REQUIRE_MESSAGE(status.has_value(), "did not exit: " + child.snapshot().err);
  child.wait_for([](const captured& c) { return c.out_closed && c.err_closed; }, std::chrono::seconds(10));
  return {*status, child.snapshot()};
}

}  // namespace closenotify::test
