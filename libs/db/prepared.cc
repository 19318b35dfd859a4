#include "libs/db/prepared.h"

#include <cstdint>
#include <cstdio>

namespace mpli::db {

std::string statement_name(const std::string& sql) {
  uint64_t hash = 14695981039346656037ull;
  for (unsigned char c : sql) {
    hash ^= c;
    hash *= 1099511628211ull;
  }
  char name[32];
  std::snprintf(name, sizeof name, "mpli_%016llx", static_cast<unsigned long long>(hash));
  return name;
}

}  // namespace mpli::db
