#include "libs/process/heap_trim.h"

#include <malloc.h>

#include <catch2/catch.hpp>
#include <cstring>
#include <memory>
#include <vector>

namespace mpli::process {
namespace {

using std::chrono::seconds;

TEST_CASE("heap trim is due after activity followed by the idle time") {
  const Clock::time_point start{};
  const Clock::duration idle = seconds(60);
  // Activity after the last trim, then a minute of quiet: due.
  CHECK(trim_due(start + seconds(10), start, start + seconds(70), idle));
  // Not quiet long enough yet.
  CHECK_FALSE(trim_due(start + seconds(10), start, start + seconds(69), idle));
  // Nothing happened since the last trim: nothing to give back.
  CHECK_FALSE(trim_due(start + seconds(10), start + seconds(10), start + seconds(500), idle));
  CHECK_FALSE(trim_due(start + seconds(5), start + seconds(10), start + seconds(500), idle));
  // A zero idle time turns trimming off.
  CHECK_FALSE(trim_due(start + seconds(10), start, start + seconds(500), Clock::duration::zero()));
}

TEST_CASE("trimming the heap gives freed memory back to the kernel") {
  // Freed blocks kept, as the resolver keeps them (no trim when freeing, no mmap'd blocks).
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
  mallopt(M_MMAP_THRESHOLD, 32 << 20);
  constexpr size_t kBlocks = 64 * 1024;
  constexpr size_t kBlockBytes = 1024;  // 64 MiB in all
  std::vector<std::unique_ptr<char[]>> blocks;
  blocks.reserve(kBlocks);
  for (size_t i = 0; i < kBlocks; ++i) {
    blocks.emplace_back(new char[kBlockBytes]);
    std::memset(blocks.back().get(), 1, kBlockBytes);  // resident
  }
  // Every other block stays: the freed ones are holes in the heap, not only its top.
  for (size_t i = 0; i < kBlocks; i += 2) blocks[i].reset();
  for (size_t i = kBlocks / 2; i < kBlocks; ++i) blocks[i].reset();
  const int64_t before = resident_bytes();
  REQUIRE(before > 0);
  HeapTrim trimmed = trim_heap();
  CHECK(trimmed.resident_before >= trimmed.resident_after);
  // About 48 MiB were freed; at least 24 MiB must leave the resident set.
  CHECK(trimmed.resident_before - trimmed.resident_after > (int64_t{24} << 20));
}

}  // namespace
}  // namespace mpli::process
