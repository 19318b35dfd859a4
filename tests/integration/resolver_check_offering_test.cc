// mpli.resolver.v1.check_offering against the real services over the bus (nats-server,
// PostgreSQL, mpli-discovery, mpli-trust, mpli-resolver): a stored resolution's requirement,
// re-read from its stored manifest, checked against one offering with the consumer's facts of
// now. Two providers: Hexacloud without its consumer prerequisites, and the same manifest as
// "strictcloud" with them (a consumer with no verified facts is refused there).
#include <catch2/catch.hpp>
#include <optional>
#include <pqxx/pqxx>
#include <regex>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "libs/testing/examples.h"
#include "mpli/resolver/v1/resolver.pb.h"
#include "tests/integration/resolver_bus_hub.h"

using namespace mpli;
using namespace std::chrono_literals;
namespace rv1 = mpli::resolver::v1;

namespace {

const std::string kVm = "https://consumer.example/m#vm";
const std::string kConsumer = "https://consumer.example/m#c";
const std::string kHex = "https://hexacloud.example/.well-known/mpli.ttl#";
const std::string kStrict = "https://strictcloud.example/.well-known/mpli.ttl#";

std::string replace_all(std::string text, const std::string& from, const std::string& to) {
  for (size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
  }
  return text;
}

// The offerings a provider manifest declares (`<#name> a mpli:Offering`), as full IRIs.
std::vector<std::string> offerings_of(const std::string& manifest, const std::string& base) {
  std::vector<std::string> out;
  std::regex declared("<#([A-Za-z0-9_-]+)> a mpli:Offering");
  for (std::sregex_iterator it(manifest.begin(), manifest.end(), declared), end; it != end; ++it) {
    out.push_back(base + (*it)[1].str());
  }
  return out;
}

class Hub {
 public:
  Hub()
      : hexacloud_(testing::hexacloud_without_prerequisites()),
        strictcloud_(replace_all(testing::read_example("provider-hexacloud-fr.ttl"), "hexacloud",
                                 "strictcloud")) {
    hub_.register_upload(hexacloud_);
    hub_.register_upload(strictcloud_);
  }

  // Resolves the two-VM consumer for `provider_id` once the index holds both providers (it
  // follows discovery's events), every rejected candidate listed.
  rv1::Resolution resolve(const std::string& provider_id, const std::string& tenant) {
    std::optional<rv1::Resolution> resolution;
    testing::wait_until(
        [&] {
          rv1::ResolveRequest request;
          request.set_manifest(testing::two_vms_consumer(provider_id));
          request.set_tenant(tenant);
          request.set_explain_limit(1000);
          auto reply =
              bus::call<rv1::ResolveReply>(hub_.bus(), "mpli.resolver.v1.resolve", request, 30s);
          // Five offerings in each manifest (ontology/examples/provider-hexacloud-fr.ttl).
          if (reply.is_ok() && reply->resolution().catalogue_offerings() == 10 &&
              reply->resolution().requirements(0).conforming() == 1) {
            resolution = reply->resolution();
          }
          return resolution.has_value();
        },
        60s, "the resolver holds both providers' offerings");
    return *resolution;
  }

  Result<rv1::CheckOfferingReply> check(const std::string& id, const std::string& requirement,
                                        const std::string& offering,
                                        const std::string& tenant = "") {
    rv1::CheckOfferingRequest request;
    request.set_resolution_id(id);
    request.set_requirement(requirement);
    request.set_offering_id(offering);
    request.set_tenant(tenant);
    return bus::call<rv1::CheckOfferingReply>(hub_.bus(), "mpli.resolver.v1.check_offering",
                                              request, 30s);
  }

  // Gives the consumer of two_vms_consumer the facts strictcloud asks for (a verified legal
  // identity and Gaia-X compliance, established in France) as if trust had just accepted a
  // credential, written in trust's tables directly: no facts_changed event is sent, so the
  // resolver's index does not have them, as when the event is still on its way.
  void trust_holds_consumer_facts_without_event() {
    pqxx::connection connection(hub_.dsn());
    pqxx::work tx(connection);
    tx.exec0(
        "INSERT INTO trust.credentials (id, token, format, issuer, subject, claims, state, source) "
        "VALUES ('test-credential', 'token', 'vc+jwt', 'did:web:issuer.example', '" +
        kConsumer + "', '{}', 'accepted', 'consumer')");
    for (const auto& [predicate, object, literal] :
         std::vector<std::tuple<std::string, std::string, bool>>{
             {"https://w3id.org/mpli#verifiedCredentialType",
              "https://w3id.org/mpli#LegalIdentityCredential", false},
             {"https://w3id.org/mpli#verifiedCredentialType",
              "https://w3id.org/mpli#GaiaXComplianceCredential", false},
             {"https://w3id.org/mpli#verifiedCountry", "FR", true}}) {
      tx.exec_params(
          "INSERT INTO trust.facts (credential, subject, predicate, object, object_is_literal) "
          "VALUES ('test-credential', $1, $2, $3, $4)",
          kConsumer, predicate, object, literal);
    }
    tx.commit();
  }

  rv1::Resolution resolve_now(const std::string& provider_id) {
    rv1::ResolveRequest request;
    request.set_manifest(testing::two_vms_consumer(provider_id));
    auto reply = bus::call<rv1::ResolveReply>(hub_.bus(), "mpli.resolver.v1.resolve", request, 30s);
    INFO(reply.status().to_string());
    REQUIRE(reply.is_ok());
    return reply->resolution();
  }

  // Every offering of both providers.
  std::vector<std::string> all_offerings() const {
    std::vector<std::string> out = offerings_of(hexacloud_, kHex);
    for (auto& iri : offerings_of(strictcloud_, kStrict)) out.push_back(std::move(iri));
    return out;
  }

 private:
  testing::ResolverBusHub hub_;
  std::string hexacloud_;
  std::string strictcloud_;
};

bool has_failure(const google::protobuf::RepeatedPtrField<rv1::Failure>& failures,
                 const std::string& path, const std::string& constraint) {
  for (const auto& f : failures) {
    if (f.path() == path && f.constraint() == constraint) return true;
  }
  return false;
}

void check_error(const Status& status, StatusCode code, const std::string& reason,
                 const std::string& field) {
  INFO(status.to_string());
  CHECK(status.code() == code);
  CHECK(status.detail("reason") == reason);
  CHECK(status.detail("domain") == "resolver");
  CHECK(status.detail("field") == field);
}

// A failure as it can be compared across reads of the manifest: check_offering reads the stored
// manifest again, and blank nodes (an unnamed shape) get new labels in each read.
std::string comparable(rv1::Failure failure) {
  if (failure.shape().rfind("_:", 0) == 0) failure.set_shape("_:blank");
  return failure.SerializeAsString();
}

// check_offering agrees with the resolution on every offering of the catalogue: listed as
// rejected means it does not fit, and with every explanation the resolution gave; placed in
// an answer means it fits; as many fit as the report accepted.
void check_agrees(Hub& hub, const rv1::Resolution& resolution) {
  REQUIRE(resolution.requirements_size() == 1);
  const rv1::RequirementReport& report = resolution.requirements(0);
  std::set<std::string> answered;
  for (const auto& answer : resolution.answers()) {
    for (const auto& a : answer.assignments()) answered.insert(a.offering());
  }
  int fitting = 0;
  for (const std::string& offering : hub.all_offerings()) {
    INFO(resolution.id() << " / " << offering);
    auto checked = hub.check(resolution.id(), report.requirement(), offering);
    INFO(checked.status().to_string());
    REQUIRE(checked.is_ok());
    CHECK(checked->reasons_size() == checked->failures_size() + checked->refusals_size());
    if (checked->fits()) ++fitting;
    if (answered.count(offering) > 0) CHECK(checked->fits());
    for (const auto& rejected : report.rejected()) {
      if (rejected.offering() != offering) continue;
      CHECK_FALSE(checked->fits());
      std::set<std::string> said;
      for (const auto& f : checked->failures()) said.insert(comparable(f));
      for (const auto& f : checked->refusals()) said.insert(comparable(f));
      for (const auto& f : rejected.failures()) {
        INFO(f.ShortDebugString());
        CHECK(said.count(comparable(f)) == 1);
      }
    }
  }
  CHECK(fitting == report.accepted());
}

}  // namespace

TEST_CASE(
    "check_offering: fits, fails the requirement, or refuses the consumer, as resolution says") {
  Hub hub;
  rv1::Resolution served = hub.resolve("hexacloud", "acme");
  REQUIRE(served.satisfiable());
  REQUIRE(served.answers(0).assignments(0).offering() == kHex + "vm-4");
  rv1::Resolution refused = hub.resolve("strictcloud", "acme");
  CHECK_FALSE(refused.satisfiable());

  // The answer's offering fits.
  auto fits = hub.check(served.id(), kVm, kHex + "vm-4", "acme");
  INFO(fits.status().to_string());
  REQUIRE(fits.is_ok());
  CHECK(fits->fits());
  CHECK(fits->failures_size() == 0);
  CHECK(fits->refusals_size() == 0);
  CHECK(fits->reasons_size() == 0);

  // Another provider's virtual machine fails the requirement (its provider id), and its
  // provider refuses a consumer without verified facts besides.
  auto other = hub.check(served.id(), kVm, kStrict + "vm-4", "acme");
  REQUIRE(other.is_ok());
  CHECK_FALSE(other->fits());
  CHECK(has_failure(other->failures(),
                    "(<https://w3id.org/mpli#provider>/<https://w3id.org/mpli#providerId>)",
                    "sh:HasValueConstraintComponent"));
  CHECK(other->refusals_size() >= 1);
  REQUIRE(other->reasons_size() >= 1);
  CHECK(other->reasons(0).find("offering " + kStrict + "vm-4 does not satisfy 'VM': ") == 0);

  // The same virtual machine for the consumer that asked for it: it satisfies the
  // requirement, but strictcloud's prerequisites refuse the consumer.
  auto prerequisites = hub.check(refused.id(), kVm, kStrict + "vm-4", "acme");
  REQUIRE(prerequisites.is_ok());
  CHECK_FALSE(prerequisites->fits());
  CHECK(prerequisites->failures_size() == 0);
  REQUIRE(prerequisites->refusals_size() >= 1);
  REQUIRE(prerequisites->reasons_size() == prerequisites->refusals_size());
  for (int i = 0; i < prerequisites->reasons_size(); ++i) {
    CHECK(prerequisites->reasons(i).find("strictcloud refuses the consumer (") == 0);
    CHECK(prerequisites->reasons(i).find(prerequisites->refusals(i).message()) !=
          std::string::npos);
  }

  // An offering of another kind fails the kind the requirement asks for.
  auto database = hub.check(served.id(), kVm, kHex + "pg-snc");
  REQUIRE(database.is_ok());
  CHECK_FALSE(database->fits());
  CHECK(has_failure(database->failures(), "<https://w3id.org/mpli#offeringKind>",
                    "sh:HasValueConstraintComponent"));

  check_agrees(hub, served);
  check_agrees(hub, refused);
}

TEST_CASE("check_offering: unknown resolution, requirement or offering, and another tenant") {
  Hub hub;
  rv1::Resolution resolution = hub.resolve("hexacloud", "acme");
  const std::string id = resolution.id();

  auto no_requirement = hub.check(id, "https://consumer.example/m#db", kHex + "vm-4");
  REQUIRE_FALSE(no_requirement.is_ok());
  check_error(no_requirement.status(), StatusCode::kNotFound, "REQUIREMENT_NOT_FOUND",
              "requirement");
  CHECK(no_requirement.status().message().find(kVm) != std::string::npos);  // names the ones it has

  auto no_offering = hub.check(id, kVm, kHex + "vm-404");
  REQUIRE_FALSE(no_offering.is_ok());
  check_error(no_offering.status(), StatusCode::kNotFound, "OFFERING_NOT_FOUND", "offering_id");

  auto no_resolution = hub.check("res_never_was", kVm, kHex + "vm-4");
  REQUIRE_FALSE(no_resolution.is_ok());
  check_error(no_resolution.status(), StatusCode::kNotFound, "RESOLUTION_NOT_FOUND",
              "resolution_id");

  // Another tenant hears of no resolution, whatever else it asks; the owner and the admin
  // are answered.
  for (const std::string& requirement : {kVm, std::string("https://consumer.example/m#db")}) {
    auto foreign = hub.check(id, requirement, kHex + "vm-4", "globex");
    REQUIRE_FALSE(foreign.is_ok());
    check_error(foreign.status(), StatusCode::kNotFound, "RESOLUTION_NOT_FOUND", "resolution_id");
    CHECK(replace_all(foreign.status().message(), id, "ID") ==
          replace_all(no_resolution.status().message(), "res_never_was", "ID"));
  }
  for (const char* tenant : {"acme", ""}) {
    INFO("tenant '" << tenant << "'");
    auto seen = hub.check(id, kVm, kHex + "vm-4", tenant);
    INFO(seen.status().to_string());
    REQUIRE(seen.is_ok());
    CHECK(seen->fits());
  }

  // Missing fields are named.
  auto no_id = hub.check("", kVm, kHex + "vm-4");
  check_error(no_id.status(), StatusCode::kInvalidArgument, "BAD_REQUEST", "resolution_id");
  auto no_iri = hub.check(id, "", kHex + "vm-4");
  check_error(no_iri.status(), StatusCode::kInvalidArgument, "BAD_REQUEST", "requirement");
  auto no_offering_id = hub.check(id, kVm, "");
  check_error(no_offering_id.status(), StatusCode::kInvalidArgument, "BAD_REQUEST", "offering_id");
}

TEST_CASE("a resolution counts the facts trust holds now, before their event reaches the index") {
  Hub hub;
  rv1::Resolution refused = hub.resolve("strictcloud", "");
  REQUIRE_FALSE(refused.satisfiable());
  CHECK(refused.consumer_facts_size() == 0);
  REQUIRE(refused.refusals_size() >= 1);

  hub.trust_holds_consumer_facts_without_event();
  // At once: the resolver asks trust for every resolution; its index has not heard of them.
  rv1::Resolution served = hub.resolve_now("strictcloud");
  CHECK(served.consumer_facts_size() == 3);
  CHECK(served.satisfiable());
  CHECK(served.refusals_size() == 0);
  REQUIRE(served.answers_size() >= 1);
  CHECK(served.answers(0).assignments(0).offering() == kStrict + "vm-4");
}
