// GET /v1/offerings query parameters -> the catalogue filter, each bad value reported by name.
#pragma once

#include <map>
#include <string>

#include "libs/core/status.h"
#include "mpli/discovery/v1/discovery.pb.h"

namespace mpli::gateway {

// Parameters: kind, country, region, min_vcpu, min_memory_gib, max_price, certification,
// provider, q (text), limit (1..500), cursor; any other name is a filter on a kind's
// filterable property (<name>=value, min_<name>=n, max_<name>=n), which discovery checks
// against the kinds it knows: a typo is an error there, and must not silently widen a query.
Result<discovery::v1::OfferingFilter> parse_offering_query(
    const std::map<std::string, std::string>& params);

}  // namespace mpli::gateway
