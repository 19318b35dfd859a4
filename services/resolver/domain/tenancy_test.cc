#include "services/resolver/domain/tenancy.h"

#include <catch2/catch.hpp>
#include <string>

namespace mpli::resolver {
namespace {

v1::Resolution owned_by(const std::string& tenant) {
  v1::Resolution resolution;
  resolution.set_id("res_1");
  resolution.set_tenant(tenant);
  return resolution;
}

}  // namespace

TEST_CASE("a tenant sees its own resolutions and no other tenant's") {
  CHECK(may_see("acme", "acme"));
  CHECK_FALSE(may_see("acme", "globex"));
  // A resolution stored without a tenant (by the admin, or before tenancy) is not a tenant's.
  CHECK_FALSE(may_see("acme", ""));
  // Names are compared exactly: no case folding, no prefixes.
  CHECK_FALSE(may_see("acme", "Acme"));
  CHECK_FALSE(may_see("acme", "acme2"));
}

TEST_CASE("no tenant (the admin) sees every resolution") {
  CHECK(may_see("", "acme"));
  CHECK(may_see("", ""));
}

TEST_CASE("another tenant's resolution is answered exactly as a missing one") {
  v1::Resolution globex = owned_by("globex");
  Status missing = check_visible(nullptr, "res_1", "acme", "resolution_id");
  Status foreign = check_visible(&globex, "res_1", "acme", "resolution_id");
  REQUIRE_FALSE(missing.is_ok());
  REQUIRE_FALSE(foreign.is_ok());
  CHECK(missing.code() == StatusCode::kNotFound);
  CHECK(missing.detail("reason") == "RESOLUTION_NOT_FOUND");
  CHECK(missing.detail("domain") == "resolver");
  CHECK(missing.detail("field") == "resolution_id");
  // Same code, message and details: nothing tells the two apart, nor names the owner.
  CHECK(foreign.code() == missing.code());
  CHECK(foreign.message() == missing.message());
  CHECK(foreign.details() == missing.details());
  CHECK(foreign.message().find("globex") == std::string::npos);
  CHECK(check_visible(nullptr, "res_1", "", "id").message() == missing.message());
}

TEST_CASE("the owner and the admin pass the check") {
  v1::Resolution acme = owned_by("acme");
  CHECK(check_visible(&acme, "res_1", "acme", "id").is_ok());
  CHECK(check_visible(&acme, "res_1", "", "id").is_ok());
  v1::Resolution untenanted = owned_by("");
  CHECK(check_visible(&untenanted, "res_1", "", "id").is_ok());
  CHECK_FALSE(check_visible(&untenanted, "res_1", "acme", "id").is_ok());
}

TEST_CASE("a tenant name is bounded, and the refusal names the field") {
  CHECK(check_tenant("").is_ok());
  CHECK(check_tenant(std::string(kMaxTenantLength, 't')).is_ok());
  Status long_name = check_tenant(std::string(kMaxTenantLength + 1, 't'));
  CHECK(long_name.code() == StatusCode::kInvalidArgument);
  CHECK(long_name.detail("reason") == "BAD_REQUEST");
  CHECK(long_name.detail("field") == "tenant");
}

}  // namespace mpli::resolver
