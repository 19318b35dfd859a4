// testing::wait_until: the wait that fixtures use for readiness, with and without a watch on the
// process being waited for.
#include <catch2/catch.hpp>
#include <chrono>
#include <stdexcept>
#include <string>

#include "libs/testing/environment.h"

using namespace std::chrono_literals;
using mpli::testing::wait_until;
using mpli::testing::WaitWatch;

namespace {

// The message wait_until failed with, or "" when it returned.
std::string failure_of(const std::function<void()>& wait) {
  try {
    wait();
  } catch (const std::runtime_error& error) {
    return error.what();
  }
  return "";
}

}  // namespace

TEST_CASE("wait_until returns once its condition holds") {
  int polls = 0;
  wait_until([&] { return ++polls == 3; }, 10s, "the third poll");
  CHECK(polls == 3);
}

TEST_CASE("wait_until fails at its deadline with what it waited for and the watch's details") {
  WaitWatch watch;
  watch.details = [] { return "the log's last lines"; };
  auto message = failure_of([&] { wait_until([] { return false; }, 20ms, "never", watch); });
  CHECK(message.find("timed out after 20 ms: never") != std::string::npos);
  CHECK(message.find("the log's last lines") != std::string::npos);
}

TEST_CASE("wait_until fails at once when its watch says the condition can no longer come true") {
  int polls = 0;
  WaitWatch watch;
  watch.hopeless = [&] { return polls >= 2 ? "the process exited" : ""; };
  watch.details = [] { return "what it printed"; };
  // A deadline no test run reaches: only the watch can end this wait.
  auto message = failure_of(
      [&] { wait_until([&] { return ++polls > 1000000; }, 600s, "federation ready", watch); });
  CHECK(message.find("the process exited: federation ready") != std::string::npos);
  CHECK(message.find("what it printed") != std::string::npos);
  CHECK(polls == 2);
}
