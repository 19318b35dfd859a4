#include "libs/process/heap_trim.h"

#include <malloc.h>
#include <unistd.h>

#include <fstream>

namespace mpli::process {

bool trim_due(Clock::time_point last_activity, Clock::time_point last_trim, Clock::time_point now,
              Clock::duration idle_for) {
  if (idle_for <= Clock::duration::zero()) return false;
  return last_activity > last_trim && now - last_activity >= idle_for;
}

int64_t resident_bytes() {
  // statm's second field: resident pages.
  std::ifstream statm("/proc/self/statm");
  int64_t size = 0;
  int64_t resident = 0;
  if (!(statm >> size >> resident)) return 0;
  return resident * static_cast<int64_t>(sysconf(_SC_PAGESIZE));
}

HeapTrim trim_heap() {
  HeapTrim out;
  out.resident_before = resident_bytes();
  malloc_trim(0);
  out.resident_after = resident_bytes();
  return out;
}

}  // namespace mpli::process
