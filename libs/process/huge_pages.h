// Transparent huge pages for a process's heap. A service whose working set is hundreds of MiB
// of small allocations read at random (the resolver's index: provider graphs, rows, regions)
// spends much of its time on TLB misses with 4 KiB pages: glibc's malloc backs its heap with
// 2 MiB pages when the tunable glibc.malloc.hugetlb=1 is set, but only the main arena's (the
// heap grown by sbrk; other threads' arenas are mmap'd in 4 KiB pages), so one arena serves
// every thread (glibc.malloc.arena_max=1; fine where the heavy work takes turns on one lock).
// Tunables are read only when a program starts: it re-executes itself once with them added.
//
//   int main(int argc, char** argv) {
//     mpli::process::reexec_with_heap_huge_pages(argv);  // first thing: no threads yet
//     ...
//
// Measured in bench/resolver (docs/benchmarks.md, "Resolver"): resolves 1.3-2x faster at
// 100,000 offerings for 3-5 % more resident memory.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace mpli::process {

// The GLIBC_TUNABLES value to re-execute with, from the current one (nullptr: unset) and the
// text of /sys/kernel/mm/transparent_hugepage/enabled; nullopt when there is nothing to do:
// an operator who set glibc.malloc.hugetlb (0 opts out) is obeyed, the re-executed program has
// it set, and a kernel with THP off ("[never]") or unknown ("") has nothing to give. An
// arena_max the operator set is kept.
std::optional<std::string> tunables_with_heap_huge_pages(const char* current,
                                                         std::string_view thp_enabled);

// Re-executes /proc/self/exe with argv and GLIBC_TUNABLES from tunables_with_heap_huge_pages
// (same pid; the environment otherwise unchanged). Returns when there is nothing to do or the
// exec fails (the program then runs as it is). Call before any thread starts.
void reexec_with_heap_huge_pages(char** argv);

}  // namespace mpli::process
