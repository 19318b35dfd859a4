// Who sent a request, as its bearer token says: the role and what it may act on. Built only by
// TokenVerifier from a token that verified; a request without a token has no Caller at all.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mpli::gateway::auth {

enum class Role { kAdmin, kProvider, kConsumer, kMarketplace };

// "admin", "provider", "consumer", "marketplace": the names in tokens and on the command line.
std::string_view role_name(Role role);
std::optional<Role> role_from_name(std::string_view name);

struct Caller {
  Role role = Role::kConsumer;
  std::string issuer;                // the token's iss
  std::string subject;               // its sub ("" when absent)
  std::string tenant;                // consumer: the tenant it is
  std::string provider;              // provider: the provider id it manages
  std::vector<std::string> tenants;  // marketplace: the consumer tenants it may act for
};

}  // namespace mpli::gateway::auth
