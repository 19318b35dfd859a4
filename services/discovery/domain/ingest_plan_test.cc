#include "services/discovery/domain/ingest_plan.h"

#include <catch2/catch.hpp>

#include "services/discovery/domain/errors.h"

using namespace mpli;
using namespace mpli::discovery;

namespace {

OfferingRecord offering(const std::string& id, const std::string& hash) {
  OfferingRecord o;
  o.id = id;
  o.provider_id = "nordwolke";
  o.content_hash = hash;
  return o;
}

AcceptedManifest manifest(std::vector<OfferingRecord> offerings) {
  AcceptedManifest m;
  m.summary.provider_id = "nordwolke";
  m.summary.offerings = std::move(offerings);
  return m;
}

const Arrival kFromUrl{"https://nordwolke.example/.well-known/mpli.ttl", "hash-new"};
const Arrival kUpload{"", "hash-new"};

// A provider registered from kFromUrl's URL, serving version 1 with offerings a and b.
CurrentState registered_provider() {
  CurrentState state;
  state.provider_known = true;
  state.registered_url = kFromUrl.source_url;
  state.served_version = 1;
  state.served_hash = "hash-1";
  state.versions = {{1, "hash-1", true}};
  state.offerings = {{"a", offering("a", "ha")}, {"b", offering("b", "hb")}};
  return state;
}

// Versions newest first: ids `newest` down to `newest - count + 1`, the served one accepted.
std::vector<StoredVersion> versions(int64_t newest, int count, int64_t served) {
  std::vector<StoredVersion> out;
  for (int64_t id = newest; id > newest - count; --id) {
    out.push_back({id, "hash-" + std::to_string(id), id == served});
  }
  return out;
}

template <typename Event>
std::vector<const Event*> events_of(const std::vector<CatalogueEvent>& events) {
  std::vector<const Event*> out;
  for (const auto& e : events) {
    if (const auto* typed = std::get_if<Event>(&e)) out.push_back(typed);
  }
  return out;
}

ManifestProblem syntax_problem() {
  return ManifestProblem{v1::MANIFEST_SYNTAX, "upload:3:1: bad", 3, 1, {}, {}};
}

}  // namespace

TEST_CASE("a new provider is created and each of its offerings is announced as added") {
  AcceptedManifest m = manifest({offering("a", "ha"), offering("b", "hb")});
  auto plan = plan_ingest(CurrentState{}, m, kFromUrl);
  REQUIRE(plan.is_ok());
  CHECK(plan->create_provider);
  CHECK_FALSE(plan->unchanged);
  CHECK(plan->upserts.size() == 2);
  CHECK(events_of<OfferingAddedEvent>(plan->events).size() == 2);
  auto ingested = events_of<ManifestIngestedEvent>(plan->events);
  REQUIRE(ingested.size() == 1);
  CHECK(ingested[0]->provider_id == "nordwolke");
  CHECK(ingested[0]->version == "hash-new");
  CHECK(ingested[0]->offerings == 2);
  CHECK(ingested[0]->added == 2);
  CHECK(plan->versions_to_delete.empty());
}

TEST_CASE("the text being served again changes nothing and announces nothing") {
  CurrentState state = registered_provider();
  AcceptedManifest m = manifest({offering("a", "ha"), offering("b", "hb")});
  auto plan = plan_ingest(state, m, Arrival{kFromUrl.source_url, "hash-1"});
  REQUIRE(plan.is_ok());
  CHECK(plan->unchanged);
  CHECK(plan->events.empty());
  CHECK(plan->upserts.empty());
  CHECK(plan->versions_to_delete.empty());
}

TEST_CASE("a new version announces exactly its changes, the change with the previous record") {
  CurrentState state = registered_provider();
  AcceptedManifest m = manifest({offering("a", "ha"), offering("b", "hb-2"), offering("c", "hc")});
  state.offerings.emplace("gone", offering("gone", "hg"));
  auto plan = plan_ingest(state, m, kFromUrl);
  REQUIRE(plan.is_ok());
  CHECK_FALSE(plan->create_provider);
  CHECK(plan->added == 1);
  CHECK(plan->changed == 1);
  CHECK(plan->removed == 1);
  CHECK(plan->removals == std::vector<std::string>{"gone"});
  auto changed = events_of<OfferingChangedEvent>(plan->events);
  REQUIRE(changed.size() == 1);
  CHECK(changed[0]->offering->content_hash == "hb-2");
  CHECK(changed[0]->previous.content_hash == "hb");
  auto removed = events_of<OfferingRemovedEvent>(plan->events);
  REQUIRE(removed.size() == 1);
  CHECK(removed[0]->id == "gone");
  CHECK(removed[0]->provider_id == "nordwolke");
  // Offering events first, the manifest's summary last.
  CHECK(std::holds_alternative<ManifestIngestedEvent>(plan->events.back()));
  CHECK(plan->events.size() == 4);
}

TEST_CASE("a provider registered by URL is replaced neither by an upload nor from another URL") {
  CurrentState state = registered_provider();
  AcceptedManifest m = manifest({offering("a", "ha")});
  for (const Arrival& arrival : {kUpload, Arrival{"https://evil.example/m.ttl", "h"}}) {
    auto plan = plan_ingest(state, m, arrival);
    REQUIRE_FALSE(plan.is_ok());
    CHECK(plan.status().code() == StatusCode::kConflict);
    CHECK(reason_of(plan.status()) == v1::PROVIDER_TAKEN);
    CHECK(plan.status().detail("field") == "mpli:providerId");
  }
}

TEST_CASE("an uploaded provider takes a new upload") {
  CurrentState state = registered_provider();
  state.registered_url.clear();
  auto plan = plan_ingest(state, manifest({offering("a", "ha")}), kUpload);
  REQUIRE(plan.is_ok());
  CHECK(plan->removed == 1);
}

TEST_CASE("a URL registered for one provider cannot bring in a provider of another id") {
  CurrentState state;
  state.url_owner = "hexacloud";
  auto plan = plan_ingest(state, manifest({offering("a", "ha")}), kFromUrl);
  REQUIRE_FALSE(plan.is_ok());
  CHECK(reason_of(plan.status()) == v1::PROVIDER_TAKEN);
}

TEST_CASE("an offering IRI belongs to the provider that published it first") {
  CurrentState state = registered_provider();
  state.offering_owners = {{"a", "hexacloud"}};
  auto plan = plan_ingest(state, manifest({offering("a", "ha")}), kFromUrl);
  REQUIRE_FALSE(plan.is_ok());
  CHECK(plan.status().code() == StatusCode::kConflict);
  CHECK(reason_of(plan.status()) == v1::OFFERING_TAKEN);
  CHECK(plan.status().detail("offering") == "a");
  CHECK(plan.status().message().find("hexacloud") != std::string::npos);
}

TEST_CASE("an accepted version keeps at most ten versions, itself included") {
  CurrentState state = registered_provider();
  state.versions = versions(10, 10, 10);
  auto plan = plan_ingest(state, manifest({offering("a", "ha")}), kFromUrl);
  REQUIRE(plan.is_ok());
  CHECK(plan->versions_to_delete == std::vector<int64_t>{1});

  state.versions = versions(9, 9, 9);
  CHECK(plan_ingest(state, manifest({offering("a", "ha")}), kFromUrl)->versions_to_delete.empty());
}

TEST_CASE("rejected versions count towards the ten, and the served one is never dropped") {
  CurrentState state = registered_provider();
  state.served_version = 1;
  state.versions = versions(10, 10, 1);  // 2..10 rejected, 1 served
  RejectionPlan plan = plan_rejection(state, "nordwolke", kFromUrl, syntax_problem());
  CHECK(plan.store_version);
  // Kept: the new one, the served 1 and the eight newest rejected (10..3): only 2 goes.
  CHECK(plan.versions_to_delete == std::vector<int64_t>{2});
  REQUIRE(plan.events.size() == 1);
  const auto& rejected = std::get<ManifestRejectedEvent>(plan.events[0]);
  CHECK(rejected.provider_id == "nordwolke");
  CHECK(rejected.manifest_url == kFromUrl.source_url);
  CHECK(rejected.problem.reason == v1::MANIFEST_SYNTAX);
}

TEST_CASE("the same broken body twice in a row is stored and announced once") {
  CurrentState state = registered_provider();
  state.versions = {{2, "hash-new", false}, {1, "hash-1", true}};
  RejectionPlan again = plan_rejection(state, "nordwolke", kFromUrl, syntax_problem());
  CHECK_FALSE(again.store_version);
  CHECK(again.events.empty());
  CHECK(again.versions_to_delete.empty());

  // A different broken body is news.
  state.versions.front().hash = "hash-other";
  CHECK(plan_rejection(state, "nordwolke", kFromUrl, syntax_problem()).store_version);
  // The same body as an older rejection, with a good version in between, is news too.
  state.versions = {{3, "hash-1", true}, {2, "hash-new", false}};
  CHECK(plan_rejection(state, "nordwolke", kFromUrl, syntax_problem()).store_version);
}

TEST_CASE("a rejected manifest of an unknown provider is announced but not stored") {
  RejectionPlan plan = plan_rejection(CurrentState{}, "", kFromUrl, syntax_problem());
  CHECK_FALSE(plan.store_version);
  REQUIRE(plan.events.size() == 1);
  CHECK(std::get<ManifestRejectedEvent>(plan.events[0]).provider_id.empty());
}

TEST_CASE("a registration expecting one provider refuses a manifest naming another") {
  Status refused = check_expected_provider("nordwolke", "hexacloud");
  REQUIRE_FALSE(refused.is_ok());
  CHECK(refused.code() == StatusCode::kPermissionDenied);
  CHECK(reason_of(refused) == v1::PROVIDER_MISMATCH);
  CHECK(refused.detail("domain") == "discovery");
  CHECK(refused.detail("field") == "mpli:providerId");
  CHECK(refused.detail("provider_id") == "hexacloud");
  CHECK(refused.detail("expected_provider_id") == "nordwolke");
  // The message a person reads names both.
  CHECK(refused.message().find("'hexacloud'") != std::string::npos);
  CHECK(refused.message().find("'nordwolke'") != std::string::npos);
  // Exact comparison: ids differing only in case are different providers.
  CHECK(reason_of(check_expected_provider("nordwolke", "Nordwolke")) == v1::PROVIDER_MISMATCH);
}

TEST_CASE("a registration expecting its own provider, or none, passes the check") {
  CHECK(check_expected_provider("nordwolke", "nordwolke").is_ok());
  CHECK(check_expected_provider("", "hexacloud").is_ok());
}
