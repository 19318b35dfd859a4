#include "libs/process/huge_pages.h"

#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

namespace mpli::process {

namespace {
constexpr std::string_view kTunable = "glibc.malloc.hugetlb";
constexpr std::string_view kArenas = "glibc.malloc.arena_max";
}  // namespace

std::optional<std::string> tunables_with_heap_huge_pages(const char* current,
                                                         std::string_view thp_enabled) {
  const std::string_view tunables = current == nullptr ? "" : current;
  if (tunables.find(kTunable) != std::string_view::npos) return std::nullopt;
  // "always [madvise] never": the bracketed word is the kernel's mode.
  if (thp_enabled.find("[always]") == std::string_view::npos &&
      thp_enabled.find("[madvise]") == std::string_view::npos) {
    return std::nullopt;
  }
  std::string out(tunables);
  if (!out.empty()) out += ':';
  out += std::string(kTunable) + "=1";
  // Only the main arena's heap (grown by sbrk) is advised; threads other than main get arenas
  // of their own, mmap'd in 4 KiB pages, unless there is one arena for all.
  if (tunables.find(kArenas) == std::string_view::npos) out += ":" + std::string(kArenas) + "=1";
  return out;
}

void reexec_with_heap_huge_pages(char** argv) {
  std::ifstream file("/sys/kernel/mm/transparent_hugepage/enabled");
  std::ostringstream enabled;
  enabled << file.rdbuf();
  const char* current = std::getenv("GLIBC_TUNABLES");
  auto tunables = tunables_with_heap_huge_pages(current, enabled.str());
  if (!tunables) return;
  const std::string previous = current == nullptr ? "" : current;
  if (setenv("GLIBC_TUNABLES", tunables->c_str(), 1) != 0) return;
  execv("/proc/self/exe", argv);
  // No /proc, or not allowed: run as we are, with the environment we were given.
  if (current == nullptr) {
    unsetenv("GLIBC_TUNABLES");
  } else {
    setenv("GLIBC_TUNABLES", previous.c_str(), 1);
  }
}

}  // namespace mpli::process
