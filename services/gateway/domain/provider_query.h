// GET /v1/providers query parameters -> one page of the provider list, paginated like the
// offerings: limit (1..500) and an opaque cursor from the previous page.
#pragma once

#include <map>
#include <string>

#include "libs/core/status.h"

namespace mpli::gateway {

struct ProviderPage {
  int limit = 0;  // 0: the service's default page size
  std::string cursor;
};

// Unknown parameters are an error, as for offerings: a typo must not silently change a query.
Result<ProviderPage> parse_provider_query(const std::map<std::string, std::string>& params);

}  // namespace mpli::gateway
