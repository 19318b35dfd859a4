#include "services/resolver/domain/workers.h"

#include <atomic>
#include <catch2/catch.hpp>
#include <set>
#include <thread>
#include <vector>

namespace mpli::resolver {
namespace {

TEST_CASE("workers run every task once, dealt out by thread, and wait for all") {
  for (size_t threads : {1u, 2u, 3u}) {
    INFO(threads << " threads");
    Workers workers(threads);
    REQUIRE(workers.size() == threads);
    for (size_t count : {0u, 1u, 2u, 5u, 16u}) {
      INFO(count << " tasks");
      std::vector<int> runs(count, 0);
      std::vector<std::thread::id> by(count);
      workers.run(count, [&](size_t i) {
        ++runs[i];  // each i is one task's: no two threads write the same element
        by[i] = std::this_thread::get_id();
      });
      // Returned only when every task had run, each once.
      for (size_t i = 0; i < count; ++i) CHECK(runs[i] == 1);
      // Task i on thread i % size(): the caller's are 0, size(), ...
      for (size_t i = 0; i < count; ++i) {
        if (i % threads == 0) CHECK(by[i] == std::this_thread::get_id());
        if (count > 1 && i % threads != 0) CHECK(by[i] != std::this_thread::get_id());
      }
      std::set<std::thread::id> distinct(by.begin(), by.end());
      if (count > 1) CHECK(distinct.size() == std::min(count, threads));
    }
  }
}

TEST_CASE("workers are reused from one run to the next") {
  Workers workers(2);
  std::thread::id first;
  workers.run(2, [&](size_t i) {
    if (i == 1) first = std::this_thread::get_id();
  });
  std::atomic<int> same{0};
  for (int round = 0; round < 100; ++round) {
    workers.run(2, [&](size_t i) {
      if (i == 1 && std::this_thread::get_id() == first) ++same;
    });
  }
  CHECK(same == 100);
}

}  // namespace
}  // namespace mpli::resolver
