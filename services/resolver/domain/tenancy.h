// Who may see a stored resolution: the tenant it was stored for, and a caller without a tenant
// (the admin, or a caller outside tenancy). A resolution of another tenant is answered exactly
// as a missing one, so ids of other tenants cannot be told apart from ids that never existed.
#pragma once

#include <string>
#include <string_view>

#include "libs/core/status.h"
#include "mpli/resolver/v1/resolver.pb.h"

namespace mpli::resolver {

// Tenant names longer than this are refused (BAD_REQUEST, field "tenant"): they come from
// tokens, and a name is stored with every resolution.
inline constexpr size_t kMaxTenantLength = 256;

Status check_tenant(std::string_view tenant);

// "" sees every resolution; a tenant only those stored for it.
bool may_see(std::string_view caller_tenant, std::string_view owner_tenant);

// NOT_FOUND, reason RESOLUTION_NOT_FOUND, naming `field` (the request field that held the id).
Status resolution_not_found(const std::string& id, const std::string& field);

// OK when `stored` exists and the caller may see it; otherwise resolution_not_found, the same
// answer for "no such id" and "another tenant's".
Status check_visible(const v1::Resolution* stored, const std::string& id,
                     std::string_view caller_tenant, const std::string& field);

}  // namespace mpli::resolver
