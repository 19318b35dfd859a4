#include "services/resolver/domain/tenancy.h"

#include "services/resolver/domain/consumer_manifest.h"

namespace mpli::resolver {

Status check_tenant(std::string_view tenant) {
  if (tenant.size() <= kMaxTenantLength) return Status::ok();
  return resolver_error(StatusCode::kInvalidArgument, "BAD_REQUEST",
                        "tenant: at most " + std::to_string(kMaxTenantLength) + " characters",
                        {{"field", "tenant"}});
}

bool may_see(std::string_view caller_tenant, std::string_view owner_tenant) {
  return caller_tenant.empty() || caller_tenant == owner_tenant;
}

Status resolution_not_found(const std::string& id, const std::string& field) {
  return resolver_error(StatusCode::kNotFound, "RESOLUTION_NOT_FOUND", "no resolution '" + id + "'",
                        {{"field", field}});
}

Status check_visible(const v1::Resolution* stored, const std::string& id,
                     std::string_view caller_tenant, const std::string& field) {
  if (stored == nullptr || !may_see(caller_tenant, stored->tenant())) {
    return resolution_not_found(id, field);
  }
  return Status::ok();
}

}  // namespace mpli::resolver
