#include "services/gateway/domain/provider_query.h"

#include <cerrno>
#include <cstdlib>

namespace mpli::gateway {

Result<ProviderPage> parse_provider_query(const std::map<std::string, std::string>& params) {
  ProviderPage page;
  for (const auto& [key, value] : params) {
    if (key == "limit") {
      char* end = nullptr;
      errno = 0;
      long n = value.empty() ? 0 : std::strtol(value.c_str(), &end, 10);
      if (value.empty() || errno != 0 || *end != '\0' || n < 1 || n > 500) {
        return invalid_field(key, "must be an integer from 1 to 500");
      }
      page.limit = static_cast<int>(n);
    } else if (key == "cursor") {
      if (value.size() > 512) return invalid_field(key, "longer than 512 characters");
      page.cursor = value;
    } else {
      return invalid_field(key, "unknown parameter (known: limit, cursor)");
    }
  }
  return page;
}

}  // namespace mpli::gateway
