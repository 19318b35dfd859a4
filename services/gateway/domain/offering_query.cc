#include "services/gateway/domain/offering_query.h"

#include <cerrno>
#include <cstdlib>

namespace mpli::gateway {
namespace {

Status bad(const std::string& field, const std::string& why) {
  return Status(StatusCode::kInvalidArgument, field + ": " + why, {{"field", field}});
}

bool parse_int(const std::string& text, long min, long max, long* out) {
  if (text.empty()) return false;
  char* end = nullptr;
  errno = 0;
  long value = std::strtol(text.c_str(), &end, 10);
  if (errno != 0 || *end != '\0' || value < min || value > max) return false;
  *out = value;
  return true;
}

bool parse_number(const std::string& text, double* out) {
  if (text.empty()) return false;
  char* end = nullptr;
  errno = 0;
  double value = std::strtod(text.c_str(), &end);
  if (errno != 0 || *end != '\0' || !(value >= 0) || value > 1e12) return false;
  *out = value;
  return true;
}

// A property's local name as a query parameter: letters, digits, '_' and '-', at most 128.
bool property_name(const std::string& key) {
  if (key.empty() || key.size() > 128) return false;
  for (char c : key) {
    bool allowed = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                   c == '_' || c == '-';
    if (!allowed) return false;
  }
  return true;
}

}  // namespace

Result<discovery::v1::OfferingFilter> parse_offering_query(
    const std::map<std::string, std::string>& params) {
  discovery::v1::OfferingFilter filter;
  for (const auto& [key, value] : params) {
    if (value.size() > 512) return bad(key, "longer than 512 characters");
    if (key == "kind") {
      filter.set_kind(value);
    } else if (key == "country") {
      if (value.size() != 2) return bad(key, "must be an ISO 3166-1 alpha-2 code such as DE");
      filter.set_country(value);
    } else if (key == "region") {
      filter.set_region(value);
    } else if (key == "min_vcpu") {
      long n = 0;
      if (!parse_int(value, 0, 100000, &n)) return bad(key, "must be an integer from 0 to 100000");
      filter.set_min_vcpu(static_cast<int>(n));
    } else if (key == "min_memory_gib") {
      double n = 0;
      if (!parse_number(value, &n)) return bad(key, "must be a non-negative number");
      filter.set_min_memory_gib(n);
    } else if (key == "max_price") {
      double n = 0;
      if (!parse_number(value, &n)) return bad(key, "must be a non-negative number");
      filter.set_max_price(n);
      filter.set_has_max_price(true);
    } else if (key == "certification") {
      filter.set_certification(value);
    } else if (key == "provider") {
      filter.set_provider_id(value);
    } else if (key == "q") {
      filter.set_text(value);
    } else if (key == "limit") {
      long n = 0;
      if (!parse_int(value, 1, 500, &n)) return bad(key, "must be an integer from 1 to 500");
      filter.set_limit(static_cast<int>(n));
    } else if (key == "cursor") {
      filter.set_cursor(value);
    } else {
      // Any other name filters on a kind's property (docs/service-kinds.md): discovery knows
      // which kinds declare it filterable and refuses a name none does, so a typo is still an
      // error, named by discovery.
      if (!property_name(key)) {
        return bad(key,
                   "unknown parameter (known: kind, country, region, min_vcpu, min_memory_gib, "
                   "max_price, certification, provider, q, limit, cursor, and the filterable "
                   "properties of the kinds: <property>, min_<property>, max_<property>)");
      }
      discovery::v1::PropertyFilter* property = filter.add_properties();
      bool min = key.rfind("min_", 0) == 0;
      bool max = key.rfind("max_", 0) == 0;
      property->set_name(min || max ? key.substr(4) : key);
      property->set_op(min ? "min" : max ? "max" : "eq");
      property->set_value(value);
    }
  }
  return filter;
}

}  // namespace mpli::gateway
