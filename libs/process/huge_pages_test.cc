#include "libs/process/huge_pages.h"

#include <catch2/catch.hpp>

using mpli::process::tunables_with_heap_huge_pages;

TEST_CASE("huge pages for the heap are asked for when the kernel gives them") {
  // One arena: only the main arena's heap is advised.
  CHECK(tunables_with_heap_huge_pages(nullptr, "always [madvise] never\n") ==
        "glibc.malloc.hugetlb=1:glibc.malloc.arena_max=1");
  CHECK(tunables_with_heap_huge_pages(nullptr, "[always] madvise never\n") ==
        "glibc.malloc.hugetlb=1:glibc.malloc.arena_max=1");
  CHECK(tunables_with_heap_huge_pages("", "always [madvise] never") ==
        "glibc.malloc.hugetlb=1:glibc.malloc.arena_max=1");
  // Other tunables an operator set are kept, the number of arenas too.
  CHECK(tunables_with_heap_huge_pages("glibc.malloc.arena_max=2", "always [madvise] never") ==
        "glibc.malloc.arena_max=2:glibc.malloc.hugetlb=1");
  CHECK(tunables_with_heap_huge_pages("glibc.malloc.check=0", "always [madvise] never") ==
        "glibc.malloc.check=0:glibc.malloc.hugetlb=1:glibc.malloc.arena_max=1");
}

TEST_CASE("huge pages are left alone when set already or not to be had") {
  // Set by an operator (0 opts out) or by the re-execution itself: no second exec.
  CHECK_FALSE(tunables_with_heap_huge_pages("glibc.malloc.hugetlb=0", "always [madvise] never"));
  CHECK_FALSE(tunables_with_heap_huge_pages("glibc.malloc.arena_max=2:glibc.malloc.hugetlb=1",
                                            "[always] madvise never"));
  CHECK_FALSE(tunables_with_heap_huge_pages(nullptr, "always madvise [never]\n"));
  CHECK_FALSE(tunables_with_heap_huge_pages(nullptr, ""));  // no /sys: unknown
}
