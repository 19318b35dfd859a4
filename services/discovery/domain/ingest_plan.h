// What a new version of a provider's manifest does to the catalogue, decided from what the
// catalogue holds for that provider (read under its lock) and nothing else: ownership conflicts,
// the offering diff, which stored versions go, and which events report the change. Pure: the
// store reads the CurrentState, asks for a plan and executes it in the same transaction.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <variant>
#include <vector>

#include "libs/core/status.h"
#include "services/discovery/domain/manifest_check.h"

namespace mpli::discovery {

// Versions kept per provider, accepted and rejected alike; the served one is always among them.
inline constexpr size_t kVersionsKept = 10;

struct StoredVersion {
  int64_t id = 0;
  std::string hash;
  bool accepted = false;
};

// What the catalogue holds for the provider a manifest names (and who owns what it claims).
struct CurrentState {
  bool provider_known = false;
  std::string registered_url;  // "" when uploaded (or unknown)
  int64_t served_version = 0;  // 0: none served
  std::string served_hash;
  std::vector<StoredVersion> versions;              // newest first
  std::map<std::string, OfferingRecord> offerings;  // the provider's offerings as indexed
  std::string url_owner;  // another provider registered from the arriving URL, if any
  std::map<std::string, std::string> offering_owners;  // arriving offering id -> other provider
};

// The version that arrived.
struct Arrival {
  std::string source_url;  // "" for an upload
  std::string hash;        // sha256 of the text
  // The served text checked again (a kind was registered): planned even though the hash is
  // the one served.
  bool recheck = false;
};

// Events, as plain values; the store turns them into mpli.discovery.v1 payloads.
struct ManifestIngestedEvent {
  std::string provider_id;
  std::string version;
  int offerings = 0;
  int added = 0;
  int changed = 0;
  int removed = 0;
  std::string provider_iri;
  std::string provider_domain;
  std::vector<CredentialPointer> credentials;
};
struct ManifestRejectedEvent {
  std::string provider_id;  // "" when the manifest did not get as far as naming one
  std::string manifest_url;
  ManifestProblem problem;
};
struct OfferingAddedEvent {
  const OfferingRecord* offering = nullptr;
};
struct OfferingChangedEvent {
  const OfferingRecord* offering = nullptr;
  OfferingRecord previous;
};
struct OfferingRemovedEvent {
  std::string id;
  std::string provider_id;
};
using CatalogueEvent = std::variant<ManifestIngestedEvent, ManifestRejectedEvent,
                                    OfferingAddedEvent, OfferingChangedEvent, OfferingRemovedEvent>;

struct IngestPlan {
  bool create_provider = false;
  // Same text as the version being served: no version, no index change, no event; only the
  // fetch bookkeeping moves.
  bool unchanged = false;
  std::vector<const OfferingRecord*> upserts;  // added and changed offerings
  std::vector<std::string> removals;           // offering ids
  std::vector<int64_t> versions_to_delete;     // retention, counting the version to be stored
  std::vector<CatalogueEvent> events;          // in the order they are published
  int added = 0;
  int changed = 0;
  int removed = 0;
};

// A registration may say which provider it is allowed to register (expected_provider_id: at
// the gateway, the id in a provider's token). A manifest naming another provider is refused
// with kPermissionDenied, reason PROVIDER_MISMATCH, details naming both ids; it is checked
// before anything is planned, stored or published. "" expects nothing: OK.
Status check_expected_provider(const std::string& expected, const std::string& named);

// The plan for an accepted manifest, or kConflict (reason PROVIDER_TAKEN or OFFERING_TAKEN)
// when the provider id or an offering IRI belongs to another registration. `manifest` must
// outlive the plan (the plan points into it).
Result<IngestPlan> plan_ingest(const CurrentState& state, const AcceptedManifest& manifest,
                               const Arrival& arrival);

struct RejectionPlan {
  // False for an unknown provider (there is nothing to attach a version to) and when the
  // same body was the last one rejected: a broken manifest refreshed every hour stores one
  // copy, not one per refresh.
  bool store_version = false;
  std::vector<int64_t> versions_to_delete;
  std::vector<CatalogueEvent> events;  // manifest_rejected, unless it repeats the last one
};

RejectionPlan plan_rejection(const CurrentState& state, const std::string& provider_id,
                             const Arrival& arrival, const ManifestProblem& problem);

}  // namespace mpli::discovery
