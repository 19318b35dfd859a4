// The access table, route kind by route kind and role by role.
#include "services/gateway/auth/access.h"

#include <catch2/catch.hpp>

namespace mpli::gateway::auth {
namespace {

Caller admin() { return Caller{Role::kAdmin, "mpli", "admin", "", "", {}}; }
Caller consumer(const std::string& tenant) {
  return Caller{Role::kConsumer, "mpli", "", tenant, "", {}};
}
Caller provider(const std::string& id) { return Caller{Role::kProvider, "mpli", "", "", id, {}}; }
Caller marketplace(std::vector<std::string> tenants) {
  return Caller{Role::kMarketplace, "mpli", "", "", "", std::move(tenants)};
}

int status(Access access, const std::optional<Caller>& caller, std::string_view id = "",
           std::string_view on_behalf_of = "") {
  return decide(access, caller, id, on_behalf_of).status;
}

}  // namespace

TEST_CASE("public routes need no token, and every other route answers 401 without one") {
  CHECK(status(Access::kPublic, std::nullopt) == 200);
  for (Access access : {Access::kAnyToken, Access::kAdmin, Access::kProviders,
                        Access::kProviderSelf, Access::kTenants}) {
    Decision decision = decide(access, std::nullopt, "p", "");
    CHECK(decision.status == 401);
    CHECK_FALSE(decision.detail.empty());
  }
}

TEST_CASE("admin routes are the admin's alone") {
  CHECK(status(Access::kAdmin, admin()) == 200);
  CHECK(status(Access::kAdmin, consumer("acme")) == 403);
  CHECK(status(Access::kAdmin, provider("hexacloud")) == 403);
  CHECK(status(Access::kAdmin, marketplace({"acme"})) == 403);
  CHECK(status(Access::kAnyToken, marketplace({"acme"})) == 200);
  CHECK(status(Access::kAnyToken, provider("p")) == 200);
}

TEST_CASE("a provider manages only itself, and registration is the admin's or a provider's") {
  CHECK(status(Access::kProviderSelf, provider("hexacloud"), "hexacloud") == 200);
  Decision other = decide(Access::kProviderSelf, provider("hexacloud"), "nimbus", "");
  CHECK(other.status == 403);
  CHECK(other.detail.find("nimbus") != std::string::npos);
  CHECK(status(Access::kProviderSelf, admin(), "nimbus") == 200);
  CHECK(status(Access::kProviderSelf, consumer("hexacloud"), "hexacloud") == 403);
  CHECK(status(Access::kProviderSelf, marketplace({"acme"}), "hexacloud") == 403);

  Decision registration = decide(Access::kProviders, provider("hexacloud"), "", "");
  CHECK(registration.status == 200);
  CHECK(registration.grant.provider == "hexacloud");  // the manifest must name it
  Decision by_admin = decide(Access::kProviders, admin(), "", "");
  CHECK(by_admin.status == 200);
  CHECK(by_admin.grant.provider.empty());  // any manifest
  CHECK(status(Access::kProviders, consumer("acme")) == 403);
}

TEST_CASE("tenant routes act for the consumer's own tenant, the admin's for all") {
  Decision own = decide(Access::kTenants, consumer("acme"), "res_1", "");
  CHECK(own.status == 200);
  CHECK(own.grant.tenant == "acme");
  CHECK(decide(Access::kTenants, consumer("acme"), "", "acme").status == 200);
  CHECK(status(Access::kTenants, consumer("acme"), "", "globex") == 403);
  CHECK(status(Access::kTenants, provider("hexacloud")) == 403);
  Decision everything = decide(Access::kTenants, admin(), "", "");
  CHECK(everything.status == 200);
  CHECK(everything.grant.tenant.empty());
}

TEST_CASE("a marketplace acts on behalf of the tenants its token lists, and only those") {
  Decision listed = decide(Access::kTenants, marketplace({"acme", "globex"}), "", "globex");
  CHECK(listed.status == 200);
  CHECK(listed.grant.tenant == "globex");
  Decision unlisted = decide(Access::kTenants, marketplace({"acme"}), "", "initech");
  CHECK(unlisted.status == 403);
  CHECK(unlisted.detail.find("initech") != std::string::npos);
  // Without the header it would act for nobody in particular: refused, never "all tenants".
  CHECK(status(Access::kTenants, marketplace({"acme"}), "", "") == 403);
}

TEST_CASE("only a consumer's own token is the owner of its tenant's resources") {
  CHECK(decide(Access::kTenants, consumer("acme"), "", "").grant.owner);
  CHECK(decide(Access::kTenants, consumer("acme"), "", "acme").grant.owner);
  Decision admin_for_acme = decide(Access::kTenants, admin(), "", "acme");
  CHECK(admin_for_acme.grant.tenant == "acme");
  CHECK_FALSE(admin_for_acme.grant.owner);
  Decision market = decide(Access::kTenants, marketplace({"acme"}), "", "acme");
  CHECK(market.grant.tenant == "acme");
  CHECK_FALSE(market.grant.owner);
}

TEST_CASE("tenant-or-provider routes let a provider in with its provider id and no tenant") {
  Decision own = decide(Access::kTenantsOrProvider, provider("hexacloud"), "", "");
  CHECK(own.status == 200);
  CHECK(own.grant.tenant.empty());
  CHECK(own.grant.provider == "hexacloud");
  CHECK_FALSE(own.grant.owner);
  // Everyone else as on a tenant route.
  CHECK(decide(Access::kTenantsOrProvider, consumer("acme"), "", "").grant.tenant == "acme");
  CHECK(status(Access::kTenantsOrProvider, consumer("acme"), "", "globex") == 403);
  CHECK(status(Access::kTenantsOrProvider, marketplace({"acme"}), "", "") == 403);
  CHECK(decide(Access::kTenantsOrProvider, admin(), "", "").grant.tenant.empty());
  CHECK(status(Access::kTenantsOrProvider, std::nullopt) == 401);
}

}  // namespace mpli::gateway::auth
