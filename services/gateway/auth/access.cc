#include "services/gateway/auth/access.h"

#include <algorithm>

namespace mpli::gateway::auth {
namespace {

Decision allow(Grant grant = {}) { return Decision{200, "", std::move(grant)}; }

Decision forbid(std::string detail) { return Decision{403, std::move(detail), {}}; }

std::string role_text(const Caller& caller) { return std::string(role_name(caller.role)); }

// The tenant a request of a tenant route acts for.
Decision tenant_of(const Caller& caller, std::string_view on_behalf_of) {
  switch (caller.role) {
    case Role::kAdmin:
      // The admin sees every tenant; naming one narrows it to that tenant.
      return allow(Grant{std::string(on_behalf_of), ""});
    case Role::kConsumer:
      if (!on_behalf_of.empty() && on_behalf_of != caller.tenant) {
        return forbid("a consumer token acts only for its own tenant; Mpli-On-Behalf-Of names " +
                      std::string(on_behalf_of));
      }
      return allow(Grant{caller.tenant, "", true});
    case Role::kMarketplace: {
      if (on_behalf_of.empty()) {
        return forbid(
            "a marketplace names the consumer tenant it acts for in the header "
            "Mpli-On-Behalf-Of");
      }
      bool listed = std::find(caller.tenants.begin(), caller.tenants.end(), on_behalf_of) !=
                    caller.tenants.end();
      if (!listed) {
        return forbid("this marketplace token may not act for tenant " + std::string(on_behalf_of) +
                      " (not in its tenants)");
      }
      return allow(Grant{std::string(on_behalf_of), ""});
    }
    case Role::kProvider:
      break;
  }
  return forbid("a provider token cannot use consumer resources");
}

}  // namespace

Decision decide(Access access, const std::optional<Caller>& caller, std::string_view path_id,
                std::string_view on_behalf_of) {
  if (access == Access::kPublic) {
    if (!caller) return allow();
    return allow(Grant{caller->role == Role::kConsumer ? caller->tenant : "", caller->provider});
  }
  if (!caller)
    return Decision{401, "this route needs a bearer token: Authorization: Bearer <token>", {}};
  switch (access) {
    case Access::kPublic:
    case Access::kAnyToken:
      return allow(Grant{caller->role == Role::kConsumer ? caller->tenant : "", caller->provider});
    case Access::kAdmin:
      if (caller->role == Role::kAdmin) return allow();
      return forbid("this route is for the admin; the token's role is " + role_text(*caller));
    case Access::kProviders:
      if (caller->role == Role::kAdmin) return allow();
      if (caller->role == Role::kProvider) return allow(Grant{"", caller->provider});
      return forbid("this route is for the admin or a provider; the token's role is " +
                    role_text(*caller));
    case Access::kProviderSelf:
      if (caller->role == Role::kAdmin) return allow();
      if (caller->role == Role::kProvider && caller->provider == path_id) {
        return allow(Grant{"", caller->provider});
      }
      if (caller->role == Role::kProvider) {
        return forbid("provider " + caller->provider + " may not manage provider " +
                      std::string(path_id));
      }
      return forbid("this route is for the admin or the provider itself; the token's role is " +
                    role_text(*caller));
    case Access::kTenants:
      return tenant_of(*caller, on_behalf_of);
    case Access::kTenantsOrProvider:
      if (caller->role == Role::kProvider) return allow(Grant{"", caller->provider});
      return tenant_of(*caller, on_behalf_of);
  }
  return forbid("unknown access rule");
}

}  // namespace mpli::gateway::auth
