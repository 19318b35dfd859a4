#include "services/gateway/bounded_executor.h"

#include <atomic>
#include <catch2/catch.hpp>
#include <future>
#include <memory>
#include <stdexcept>

using namespace mpli::gateway;
using namespace std::chrono_literals;

namespace {

// A task that holds its thread until released, and says when it has started.
struct Gate {
  std::promise<void> started;
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::function<void()> task() {
    return [this] {
      started.set_value();
      released.wait();
    };
  }
};

// Calls `on_destroy` when the task holding it goes, run or not.
struct DestroyProbe {
  std::function<void()> on_destroy;
  ~DestroyProbe() { on_destroy(); }
};

}  // namespace

TEST_CASE("tasks run on the executor's threads") {
  BoundedExecutor executor("test", 2, 4);
  std::promise<std::thread::id> ran_on;
  REQUIRE(executor.try_submit([&] { ran_on.set_value(std::this_thread::get_id()); }));
  CHECK(ran_on.get_future().get() != std::this_thread::get_id());
}

TEST_CASE("work beyond the threads and the queue is refused at once") {
  BoundedExecutor executor("test", 1, 1);
  Gate busy;
  REQUIRE(executor.try_submit(busy.task()));
  busy.started.get_future().wait();  // the only thread is taken
  std::promise<void> queued_ran;
  CHECK(executor.try_submit([&] { queued_ran.set_value(); }));  // waits in the queue
  bool refused_ran = false;
  CHECK_FALSE(executor.try_submit([&] { refused_ran = true; }));
  busy.release.set_value();
  queued_ran.get_future().wait();
  executor.stop(5s);
  CHECK_FALSE(refused_ran);
}

TEST_CASE("a task that throws does not take its thread down") {
  BoundedExecutor executor("test", 1, 1);
  REQUIRE(executor.try_submit([] { throw std::runtime_error("bug"); }));
  std::promise<void> next_ran;
  REQUIRE(executor.try_submit([&] { next_ran.set_value(); }));
  next_ran.get_future().wait();
}

TEST_CASE("stop refuses new work, drops what still waits, and lets running work finish") {
  BoundedExecutor executor("test", 1, 2);
  Gate running;
  REQUIRE(executor.try_submit(running.task()));
  running.started.get_future().wait();
  std::atomic<bool> waiting_ran{false};
  std::promise<void> waiting_dropped;
  auto probe = std::make_shared<DestroyProbe>();
  probe->on_destroy = [&] { waiting_dropped.set_value(); };
  REQUIRE(executor.try_submit([&, probe] { waiting_ran = true; }));
  probe.reset();

  // stop() returns only once the running task ends, so it runs beside the test.
  auto stopped = std::async(std::launch::async, [&] { executor.stop(0ms); });
  waiting_dropped.get_future().wait();
  CHECK_FALSE(executor.try_submit([] {}));
  running.release.set_value();
  stopped.get();
  CHECK_FALSE(waiting_ran);
}
