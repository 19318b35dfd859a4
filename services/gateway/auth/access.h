// Who may use a route: one Access per route (the contract's access table), and decide(), a pure
// function of the route's Access, the caller (if any) and the request's facts that matter. No
// I/O: the guard authenticates, this decides.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "services/gateway/auth/caller.h"

namespace mpli::gateway::auth {

enum class Access {
  kPublic,        // anyone (a token, if sent, must still verify: the guard sees to that)
  kAnyToken,      // any valid token
  kAdmin,         // the admin only
  kProviders,     // the admin, or a provider (the route checks what it may touch)
  kProviderSelf,  // the admin, or the provider whose id is the path's :id
  kTenants,       // the admin, a consumer, or a marketplace acting for one of its tenants
  // As kTenants, and also a provider (granted its provider id and no tenant: the route narrows
  // what it shows to that provider's, e.g. GET /v1/orders lists the orders placed with it).
  kTenantsOrProvider,
};

// What the request may see: the tenant it acts for ("" for the admin: everything) and, for a
// provider, its provider id.
struct Grant {
  std::string tenant;
  std::string provider;
  // The token is the tenant's own consumer token (not the admin or a marketplace acting for it):
  // what only the owner may see (an order's secrets) goes to it alone.
  bool owner = false;
};

struct Decision {
  int status = 200;    // 200 allowed; 401 (no token) or 403 (this caller may not)
  std::string detail;  // for 401/403: why, to show the client
  Grant grant;         // for 200
};

// `caller` is nullopt when the request carried no token (an invalid one never gets here).
// `path_id` is the route's :id ("" when none); `on_behalf_of` the Mpli-On-Behalf-Of header.
Decision decide(Access access, const std::optional<Caller>& caller, std::string_view path_id,
                std::string_view on_behalf_of);

}  // namespace mpli::gateway::auth
