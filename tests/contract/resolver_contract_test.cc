// The resolver's bus contract, checked from the outside: the subjects mpli.resolver.v1.*, the
// messages of proto/mpli/resolver/v1 and the typed errors. Nothing of services/ is linked.
//   MPLI_CONTRACT_NATS_URL set   -> the bus there (a resolver, with discovery and trust);
//   unset                        -> nats-server, PostgreSQL, mpli-discovery, mpli-trust and
//                                   mpli-resolver started for each test.
// See tests/contract/README.md.
#include <catch2/catch.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "libs/testing/examples.h"
#include "mpli/resolver/v1/resolver.pb.h"
#include "tests/contract/contract_subject.h"

using namespace mpli;
using namespace std::chrono_literals;
namespace v1 = mpli::resolver::v1;
using contract::unique_manifest;
using contract::unique_token;

namespace {

class Resolver : public contract::Subject {
 public:
  Resolver() : contract::Subject("resolver", {"mpli-discovery", "mpli-trust", "mpli-resolver"}) {}

  Result<v1::ResolveReply> resolve(const std::string& manifest) {
    v1::ResolveRequest request;
    request.set_manifest(manifest);
    return call<v1::ResolveReply>("resolve", request, 30s);
  }

  // Resolves the two-VM consumer of provider `token` for `tenant`, once the index follows
  // discovery's events far enough to see that provider's virtual machine.
  std::optional<v1::Resolution> resolve_seen(const std::string& token, const std::string& tenant) {
    std::optional<v1::Resolution> resolution;
    testing::wait_until(
        [&] {
          v1::ResolveRequest request;
          request.set_manifest(testing::two_vms_consumer(token));
          request.set_tenant(tenant);
          auto reply = call<v1::ResolveReply>("resolve", request, 30s);
          if (reply.is_ok() && reply->resolution().requirements_size() == 1 &&
              reply->resolution().requirements(0).conforming() >= 1) {
            resolution = reply->resolution();
          }
          return resolution.has_value();
        },
        30s, "the resolver sees the uploaded provider's virtual machine");
    return resolution;
  }
};

void check_typed_error(const Status& status, StatusCode code, const std::string& reason) {
  INFO(status.to_string());
  CHECK(status.code() == code);
  CHECK(status.detail("reason") == reason);
  CHECK(status.detail("domain") == "resolver");
}

}  // namespace

TEST_CASE("resolve answers a Resolution that get_resolution returns again") {
  Resolver resolver;
  std::string token = unique_token();
  resolver.register_upload(unique_manifest(token));
  // The index follows discovery's events: the new provider's offering appears.
  std::optional<v1::Resolution> resolution;
  testing::wait_until(
      [&] {
        auto reply = resolver.resolve(testing::two_vms_consumer(token));
        if (reply.is_ok() && reply->resolution().requirements_size() == 1 &&
            reply->resolution().requirements(0).conforming() >= 1) {
          resolution = reply->resolution();
        }
        return resolution.has_value();
      },
      30s, "the resolver sees the uploaded provider's virtual machine");
  CHECK(resolution->id().rfind("res_", 0) == 0);
  CHECK_FALSE(resolution->created_at().empty());
  CHECK(resolution->manifest() == "https://consumer.example/m");
  CHECK(resolution->consumer() == "https://consumer.example/m#c");
  CHECK(resolution->currency() == "EUR");
  CHECK(resolution->manifest_sha256().size() == 64);
  const v1::RequirementReport& report = resolution->requirements(0);
  CHECK(report.requirement() == "https://consumer.example/m#vm");
  CHECK(report.label() == "VM");
  CHECK(report.quantity() == 2);
  // The example provider requires verified identity and compliance from its consumers; this
  // consumer has no verified facts, so it is refused and the resolution says who and why.
  CHECK_FALSE(resolution->satisfiable());
  CHECK(report.accepted() == 0);
  REQUIRE(resolution->refusals_size() >= 1);
  CHECK(resolution->refusals(0).provider_id() == token);
  CHECK_FALSE(resolution->refusals(0).prerequisite().empty());
  REQUIRE(resolution->refusals(0).failures_size() >= 1);
  CHECK_FALSE(resolution->refusals(0).failures(0).message().empty());
  CHECK(resolution->diagnosis().summary_size() >= 1);

  v1::GetResolutionRequest get;
  get.set_id(resolution->id());
  auto again = resolver.call<v1::GetResolutionReply>("get_resolution", get);
  REQUIRE(again.is_ok());
  CHECK(again->resolution().id() == resolution->id());
  CHECK(again->resolution().requirements(0).conforming() == report.conforming());

  v1::RecheckAnswerRequest recheck;
  recheck.set_resolution_id(resolution->id());
  recheck.set_rank(1);
  auto no_answer = resolver.call<v1::RecheckAnswerReply>("recheck_answer", recheck);
  REQUIRE_FALSE(no_answer.is_ok());
  check_typed_error(no_answer.status(), StatusCode::kNotFound, "ANSWER_NOT_FOUND");
}

TEST_CASE("a resolution stored for a tenant is RESOLUTION_NOT_FOUND for another tenant") {
  Resolver resolver;
  std::string token = unique_token();
  resolver.register_upload(unique_manifest(token));
  std::optional<v1::Resolution> resolution = resolver.resolve_seen(token, "tenant-a");
  CHECK(resolution->tenant() == "tenant-a");

  v1::GetResolutionRequest get;
  get.set_id(resolution->id());
  for (const char* tenant : {"tenant-a", ""}) {  // the owner, and no restriction
    INFO("tenant '" << tenant << "'");
    get.set_tenant(tenant);
    auto seen = resolver.call<v1::GetResolutionReply>("get_resolution", get);
    REQUIRE(seen.is_ok());
    CHECK(seen->resolution().id() == resolution->id());
    CHECK(seen->resolution().tenant() == "tenant-a");
  }
  get.set_tenant("tenant-b");
  auto hidden = resolver.call<v1::GetResolutionReply>("get_resolution", get);
  REQUIRE_FALSE(hidden.is_ok());
  check_typed_error(hidden.status(), StatusCode::kNotFound, "RESOLUTION_NOT_FOUND");
  CHECK(hidden.status().detail("field") == "id");

  // The owner would hear ANSWER_NOT_FOUND (this resolution has no answers); another tenant
  // hears of no resolution at all.
  v1::RecheckAnswerRequest recheck;
  recheck.set_resolution_id(resolution->id());
  recheck.set_rank(1);
  recheck.set_tenant("tenant-a");
  auto own = resolver.call<v1::RecheckAnswerReply>("recheck_answer", recheck);
  REQUIRE_FALSE(own.is_ok());
  check_typed_error(own.status(), StatusCode::kNotFound, "ANSWER_NOT_FOUND");
  recheck.set_tenant("tenant-b");
  auto other = resolver.call<v1::RecheckAnswerReply>("recheck_answer", recheck);
  REQUIRE_FALSE(other.is_ok());
  check_typed_error(other.status(), StatusCode::kNotFound, "RESOLUTION_NOT_FOUND");
  CHECK(other.status().detail("field") == "resolution_id");
}

TEST_CASE("check_offering says whether an offering serves a requirement of a resolution") {
  Resolver resolver;
  std::string token = unique_token();
  resolver.register_upload(unique_manifest(token));
  std::optional<v1::Resolution> resolution = resolver.resolve_seen(token, "tenant-a");
  const std::string requirement = "https://consumer.example/m#vm";
  const std::string vm = "https://" + token + ".example/.well-known/mpli.ttl#vm-4";
  auto check = [&](const std::string& id, const std::string& iri, const std::string& offering,
                   const std::string& tenant) {
    v1::CheckOfferingRequest request;
    request.set_resolution_id(id);
    request.set_requirement(iri);
    request.set_offering_id(offering);
    request.set_tenant(tenant);
    return resolver.call<v1::CheckOfferingReply>("check_offering", request, 30s);
  };

  // The virtual machine satisfies the requirement, but its provider refuses a consumer without
  // verified facts (as the resolution said): no fit, refusals, and a sentence for each.
  auto checked = check(resolution->id(), requirement, vm, "tenant-a");
  INFO(checked.status().to_string());
  REQUIRE(checked.is_ok());
  CHECK_FALSE(checked->fits());
  CHECK(checked->failures_size() == 0);
  REQUIRE(checked->refusals_size() >= 1);
  CHECK_FALSE(checked->refusals(0).message().empty());
  CHECK(checked->reasons_size() == checked->failures_size() + checked->refusals_size());
  REQUIRE(check(resolution->id(), requirement, vm, "").is_ok());  // no restriction

  auto no_requirement =
      check(resolution->id(), "https://consumer.example/m#nothing", vm, "tenant-a");
  REQUIRE_FALSE(no_requirement.is_ok());
  check_typed_error(no_requirement.status(), StatusCode::kNotFound, "REQUIREMENT_NOT_FOUND");
  CHECK(no_requirement.status().detail("field") == "requirement");
  auto no_offering = check(resolution->id(), requirement, vm + "-none", "tenant-a");
  REQUIRE_FALSE(no_offering.is_ok());
  check_typed_error(no_offering.status(), StatusCode::kNotFound, "OFFERING_NOT_FOUND");
  CHECK(no_offering.status().detail("field") == "offering_id");
  for (const auto& [id, tenant] : std::vector<std::pair<std::string, std::string>>{
           {resolution->id(), "tenant-b"}, {"res_unknown", ""}}) {
    INFO(id << " for tenant '" << tenant << "'");
    auto hidden = check(id, requirement, vm, tenant);
    REQUIRE_FALSE(hidden.is_ok());
    check_typed_error(hidden.status(), StatusCode::kNotFound, "RESOLUTION_NOT_FOUND");
    CHECK(hidden.status().detail("field") == "resolution_id");
  }
  auto no_id = check("", requirement, vm, "");
  REQUIRE_FALSE(no_id.is_ok());
  check_typed_error(no_id.status(), StatusCode::kInvalidArgument, "BAD_REQUEST");
  CHECK(no_id.status().detail("field") == "resolution_id");
}

TEST_CASE("typed errors: unknown ids, bad manifests, bad requests") {
  Resolver resolver;
  v1::GetResolutionRequest get;
  get.set_id("res_unknown");
  auto missing = resolver.call<v1::GetResolutionReply>("get_resolution", get);
  REQUIRE_FALSE(missing.is_ok());
  check_typed_error(missing.status(), StatusCode::kNotFound, "RESOLUTION_NOT_FOUND");

  auto syntax = resolver.resolve("@prefix mpli: <https://w3id.org/mpli#> .\n<a> <b> .\n");
  REQUIRE_FALSE(syntax.is_ok());
  check_typed_error(syntax.status(), StatusCode::kInvalidArgument, "MANIFEST_SYNTAX");
  CHECK(syntax.status().detail("line") == "2");
  CHECK_FALSE(syntax.status().detail("column").empty());

  auto shape = resolver.resolve(
      "@prefix mpli: <https://w3id.org/mpli#> .\n<urn:m> a mpli:ConsumerManifest .\n");
  REQUIRE_FALSE(shape.is_ok());
  check_typed_error(shape.status(), StatusCode::kInvalidArgument, "MANIFEST_SHAPE");
  CHECK_FALSE(shape.status().violations().empty());

  v1::ResolveRequest too_many;
  too_many.set_manifest(testing::two_vms_consumer("x"));
  too_many.set_top_k(1000);
  auto refused = resolver.call<v1::ResolveReply>("resolve", too_many);
  REQUIRE_FALSE(refused.is_ok());
  CHECK(refused.status().code() == StatusCode::kInvalidArgument);
  CHECK(refused.status().detail("field") == "top_k");

  // A body that is not the operation's message: a field that claims more bytes than follow.
  const std::string truncated(
      "\x0a\x05"
      "ab",
      4);
  for (const char* operation : {"resolve", "get_resolution", "recheck_answer", "check_offering"}) {
    INFO(operation);
    auto reply = resolver.bus().request(resolver.subject(operation), truncated, 10s);
    CHECK(reply.status().code() == StatusCode::kInvalidArgument);
  }
}
