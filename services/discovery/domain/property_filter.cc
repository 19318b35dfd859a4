#include "services/discovery/domain/property_filter.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <set>

#include "services/discovery/domain/errors.h"

namespace mpli::discovery {
namespace {

Status bad_filter(const std::string& field, const std::string& message) {
  return discovery_error(StatusCode::kInvalidArgument, v1::BAD_FILTER, field + ": " + message,
                         {{"field", field}});
}

}  // namespace

Result<std::vector<PropertyCondition>> property_conditions(const v1::OfferingFilter& filter,
                                                           const std::vector<ServiceKind>& kinds) {
  std::vector<PropertyCondition> out;
  for (const v1::PropertyFilter& wanted : filter.properties()) {
    std::string field = wanted.op() == "min"   ? "min_" + wanted.name()
                        : wanted.op() == "max" ? "max_" + wanted.name()
                                               : wanted.name();
    PropertyCondition condition;
    if (wanted.op() == "eq" || wanted.op().empty()) {
      condition.op = PropertyCondition::Op::kEqual;
    } else if (wanted.op() == "min") {
      condition.op = PropertyCondition::Op::kAtLeast;
    } else if (wanted.op() == "max") {
      condition.op = PropertyCondition::Op::kAtMost;
    } else {
      return bad_filter(field, "op '" + wanted.op() + "' is not one of eq, min, max");
    }
    // Every kind (of the filter's kind, when given) that declares the name filterable.
    std::set<std::string> iris;
    bool numeric = false;
    std::set<std::string> kinds_with_it;
    for (const ServiceKind& kind : kinds) {
      if (!filter.kind().empty() && kind.name != filter.kind()) continue;
      const KindProperty* property = kind.property_named(wanted.name());
      if (property == nullptr || !property->filterable) continue;
      iris.insert(property->iri);
      numeric = numeric || property->numeric();
      kinds_with_it.insert(kind.name);
    }
    if (iris.empty()) {
      std::string scope = filter.kind().empty() ? "any kind" : "kind " + filter.kind();
      return bad_filter(field, "'" + wanted.name() + "' is not a filterable property of " + scope +
                                   " (GET /v1/ontologies lists each kind's properties)");
    }
    condition.iris.assign(iris.begin(), iris.end());
    condition.numeric = numeric;
    if (condition.op != PropertyCondition::Op::kEqual && !numeric) {
      return bad_filter(field, "'" + wanted.name() + "' is not a number; only " + wanted.name() +
                                   "=<value> filters it");
    }
    if (numeric) {
      const std::string& value = wanted.value();
      char* end = nullptr;
      double number = std::strtod(value.c_str(), &end);
      if (value.empty() || end != value.c_str() + value.size() || !std::isfinite(number)) {
        return bad_filter(field, "must be a number, got '" + value + "'");
      }
      condition.number = number;
    } else {
      condition.text = wanted.value();
    }
    out.push_back(std::move(condition));
  }
  return out;
}

}  // namespace mpli::discovery
