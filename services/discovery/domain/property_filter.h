// Catalogue filters on the properties kinds declare filterable (GET /v1/offerings?kind=GpuInstance
// &gpuModel=NVIDIA%20H100&min_gpuCount=2): checked against the known kinds and turned into
// conditions the store applies to its generic property rows. No kind is named in code.
#pragma once

#include <string>
#include <vector>

#include "libs/core/status.h"
#include "mpli/discovery/v1/discovery.pb.h"
#include "services/discovery/domain/service_kind.h"

namespace mpli::discovery {

struct PropertyCondition {
  enum class Op { kEqual, kAtLeast, kAtMost };
  std::vector<std::string> iris;  // the property (one IRI unless kinds share a local name)
  Op op = Op::kEqual;
  bool numeric = false;  // compare `number`, else `text`
  double number = 0;
  std::string text;
};

// The filter's property conditions, or kInvalidArgument (reason BAD_FILTER, field = the name)
// naming what is wrong: a name no known kind (of `filter.kind()`, when given) declares
// filterable, an op other than eq/min/max, min or max on a property that is not a number, a
// value that is not a number where one is needed.
Result<std::vector<PropertyCondition>> property_conditions(const v1::OfferingFilter& filter,
                                                           const std::vector<ServiceKind>& kinds);

}  // namespace mpli::discovery
