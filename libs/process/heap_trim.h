// Freed heap given back to the kernel when a service has been idle a while. A service that
// keeps freed blocks for its next request (mallopt M_TRIM_THRESHOLD, as the resolver does:
// otherwise every resolve pays page faults again) also keeps what a burst of work left free at
// the top of its heap and in whole free pages inside it. Once nothing has happened for a while,
// malloc_trim returns those pages (at 1,000,000 offerings built by events, the resolver went
// from 1,949 MiB at its highest to 1,662 MiB at rest); the next request pays its page faults
// once. It cannot return live data or holes smaller than a page: that index stays about 60 MiB
// above the same index loaded at once, 1,598 MiB (docs/benchmarks.md, session 17).
//
//   if (process::trim_due(last_activity, last_trim, now, idle_for)) {
//     auto trimmed = process::trim_heap();
//     last_trim = now;
//   }
#pragma once

#include <chrono>
#include <cstdint>

namespace mpli::process {

using Clock = std::chrono::steady_clock;

// Whether to trim at `now`: something happened since the last trim (there is something to give
// back) and nothing for `idle_for` (the work is over). A zero `idle_for` never trims.
bool trim_due(Clock::time_point last_activity, Clock::time_point last_trim, Clock::time_point now,
              Clock::duration idle_for);

struct HeapTrim {
  int64_t resident_before = 0;  // bytes (VmRSS)
  int64_t resident_after = 0;
};

// malloc_trim(0): every free page of the heap, not only its top, back to the kernel.
HeapTrim trim_heap();

// The process's resident set (VmRSS) in bytes; 0 when /proc cannot tell.
int64_t resident_bytes();

}  // namespace mpli::process
