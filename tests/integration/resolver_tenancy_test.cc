// Resolutions belong to the tenant they were stored for, against the real services over the
// bus (nats-server, PostgreSQL, mpli-discovery, mpli-trust, mpli-resolver): the owner and a
// caller without a tenant (the admin) fetch and re-check it; any other tenant gets
// RESOLUTION_NOT_FOUND exactly as for an id that never existed.
#include <catch2/catch.hpp>
#include <optional>
#include <pqxx/pqxx>
#include <string>

#include "libs/testing/examples.h"
#include "mpli/resolver/v1/resolver.pb.h"
#include "tests/integration/resolver_bus_hub.h"

using namespace mpli;
using namespace std::chrono_literals;
namespace rv1 = mpli::resolver::v1;

namespace {

std::string replace_all(std::string text, const std::string& from, const std::string& to) {
  for (size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
  }
  return text;
}

class Hub {
 public:
  Hub() { hub_.register_upload(testing::hexacloud_without_prerequisites()); }

  // Resolves for `tenant` once the index knows Hexacloud's virtual machine (it follows
  // discovery's events), so the resolution has answers.
  rv1::Resolution resolve(const std::string& tenant) {
    std::optional<rv1::Resolution> resolution;
    testing::wait_until(
        [&] {
          rv1::ResolveRequest request;
          request.set_manifest(testing::two_vms_consumer("hexacloud"));
          request.set_tenant(tenant);
          auto reply =
              bus::call<rv1::ResolveReply>(hub_.bus(), "mpli.resolver.v1.resolve", request, 30s);
          if (reply.is_ok() && reply->resolution().satisfiable()) resolution = reply->resolution();
          return resolution.has_value();
        },
        60s, "the resolver answers the consumer from Hexacloud's virtual machine");
    return *resolution;
  }

  Result<rv1::Resolution> get(const std::string& id, const std::string& tenant) {
    rv1::GetResolutionRequest request;
    request.set_id(id);
    request.set_tenant(tenant);
    auto reply = bus::call<rv1::GetResolutionReply>(hub_.bus(), "mpli.resolver.v1.get_resolution",
                                                    request, 10s);
    if (!reply.is_ok()) return reply.status();
    return reply->resolution();
  }

  Result<rv1::RecheckAnswerReply> recheck(const std::string& id, int rank,
                                          const std::string& tenant) {
    rv1::RecheckAnswerRequest request;
    request.set_resolution_id(id);
    request.set_rank(rank);
    request.set_tenant(tenant);
    return bus::call<rv1::RecheckAnswerReply>(hub_.bus(), "mpli.resolver.v1.recheck_answer",
                                              request, 30s);
  }

  void exec(const std::string& sql) {
    pqxx::connection c(hub_.dsn());
    pqxx::nontransaction tx(c);
    tx.exec0(sql);
  }
  std::string text(const std::string& sql) {
    pqxx::connection c(hub_.dsn());
    pqxx::nontransaction tx(c);
    return tx.exec1(sql)[0].as<std::string>();
  }

 private:
  testing::ResolverBusHub hub_;
};

// `refused` (for resolution `id`) is exactly what a missing id gets (for `missing_id`): same
// code, same details, same message but for the id the caller sent.
void check_same_as_missing(const Status& refused, const std::string& id, const Status& missing,
                           const std::string& missing_id) {
  INFO(refused.to_string() << " / " << missing.to_string());
  CHECK(refused.code() == StatusCode::kNotFound);
  CHECK(refused.detail("reason") == "RESOLUTION_NOT_FOUND");
  CHECK(refused.code() == missing.code());
  CHECK(refused.details() == missing.details());
  CHECK(replace_all(refused.message(), id, "ID") ==
        replace_all(missing.message(), missing_id, "ID"));
}

}  // namespace

TEST_CASE("a resolution is its tenant's: the owner and the admin see it, another tenant does not") {
  Hub hub;
  rv1::Resolution resolution = hub.resolve("acme");
  const std::string id = resolution.id();
  CHECK(resolution.tenant() == "acme");
  REQUIRE(resolution.answers_size() >= 1);
  CHECK(hub.text("SELECT tenant FROM resolver.resolutions WHERE id = '" + id + "'") == "acme");

  auto own = hub.get(id, "acme");
  INFO(own.status().to_string());
  REQUIRE(own.is_ok());
  CHECK(own->id() == id);
  CHECK(own->tenant() == "acme");
  auto admin = hub.get(id, "");
  REQUIRE(admin.is_ok());
  CHECK(admin->tenant() == "acme");

  auto foreign = hub.get(id, "globex");
  auto missing = hub.get("res_never_was", "globex");
  REQUIRE_FALSE(foreign.is_ok());
  REQUIRE_FALSE(missing.is_ok());
  check_same_as_missing(foreign.status(), id, missing.status(), "res_never_was");
  CHECK(foreign.status().to_string().find("acme") == std::string::npos);

  auto rechecked = hub.recheck(id, 1, "acme");
  INFO(rechecked.status().to_string());
  REQUIRE(rechecked.is_ok());
  CHECK(rechecked->holds());
  CHECK(hub.recheck(id, 1, "").is_ok());
  // Another tenant learns nothing, not even how many answers there are: an absent rank is
  // RESOLUTION_NOT_FOUND for it, ANSWER_NOT_FOUND only for the owner.
  auto missing_recheck = hub.recheck("res_never_was", 1, "globex");
  REQUIRE_FALSE(missing_recheck.is_ok());
  for (int rank : {1, 99}) {
    INFO("rank " << rank);
    auto refused = hub.recheck(id, rank, "globex");
    REQUIRE_FALSE(refused.is_ok());
    check_same_as_missing(refused.status(), id, missing_recheck.status(), "res_never_was");
  }
  auto no_rank = hub.recheck(id, 99, "acme");
  REQUIRE_FALSE(no_rank.is_ok());
  CHECK(no_rank.status().detail("reason") == "ANSWER_NOT_FOUND");

  auto too_long = hub.get(id, std::string(257, 't'));
  REQUIRE_FALSE(too_long.is_ok());
  CHECK(too_long.status().code() == StatusCode::kInvalidArgument);
  CHECK(too_long.status().detail("field") == "tenant");
}

TEST_CASE("a resolution without a tenant, or stored before tenancy, is no tenant's") {
  Hub hub;
  rv1::Resolution resolution = hub.resolve("");
  const std::string id = resolution.id();
  CHECK(resolution.tenant().empty());
  REQUIRE(hub.get(id, "").is_ok());
  auto tenant = hub.get(id, "acme");
  REQUIRE_FALSE(tenant.is_ok());
  CHECK(tenant.status().detail("reason") == "RESOLUTION_NOT_FOUND");

  // A row as the resolver wrote it before the tenant column existed: the migration gave it ''.
  hub.exec(
      "INSERT INTO resolver.resolutions (id, manifest, manifest_sha256, consumer, satisfiable, "
      "resolution) SELECT 'res_before_tenancy', manifest, manifest_sha256, consumer, satisfiable, "
      "resolution FROM resolver.resolutions WHERE id = '" +
      id + "'");
  CHECK(
      hub.text("SELECT tenant FROM resolver.resolutions WHERE id = 'res_before_tenancy'").empty());
  auto old = hub.get("res_before_tenancy", "");
  INFO(old.status().to_string());
  REQUIRE(old.is_ok());
  CHECK(old->tenant().empty());
  REQUIRE(hub.recheck("res_before_tenancy", 1, "").is_ok());
  auto old_for_tenant = hub.get("res_before_tenancy", "acme");
  REQUIRE_FALSE(old_for_tenant.is_ok());
  CHECK(old_for_tenant.status().detail("reason") == "RESOLUTION_NOT_FOUND");
}
