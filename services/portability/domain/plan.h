// The plan of each step (docs/migrations.md, "The plan of each step" and "Worker operations for
// migrations"): which worker tasks a state submits, in which order, with which parameters and
// secret sources. A step is a list of waves: a wave's tasks are submitted together, the next
// wave once they all succeeded (its parameters may use their outputs). Pure: the driver
// supplies what earlier tasks returned (Facts) and persists each task before submitting it.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace mpli::portability {

using StringMap = std::map<std::string, std::string>;

// Where a task's WorkItem.secrets come from (delivery.v1.SecretSource): exactly one of
// order_id / task_id.
struct SecretRef {
  std::string order_id;
  std::string task_id;
  std::string prefix;
  bool operator==(const SecretRef& other) const {
    return order_id == other.order_id && task_id == other.task_id && prefix == other.prefix;
  }
};

struct PlannedTask {
  std::string side;       // "source" or "target": whose offering and connection details
  std::string operation;  // worker operation
  StringMap parameters;
  std::vector<SecretRef> secrets;
  // Unique within a step: the driver finds the stored task of a planned one by it.
  std::string key() const { return side + ":" + operation; }
};
using Wave = std::vector<PlannedTask>;

// What a migration has learnt so far: outputs of earlier tasks and what was done to each side
// (keys below). Stored with the migration.
namespace fact {
inline constexpr const char* kProvisionTask = "provision_task";  // the target's provision task id
inline constexpr const char* kExportTask = "export_task";        // the source's export task id
inline constexpr const char* kMigrationUser = "migration_user";
inline constexpr const char* kPublication = "publication";
inline constexpr const char* kSubscription = "subscription";
inline constexpr const char* kLsn = "lsn";
inline constexpr const char* kFrozenAt = "frozen_at";
inline constexpr const char* kFrozen = "frozen";            // "1": the source's writes are frozen
inline constexpr const char* kExported = "exported";        // "1": source export submitted
inline constexpr const char* kProvisioned = "provisioned";  // "1": target provision submitted
inline constexpr const char* kExportBytes = "export_bytes";
inline constexpr const char* kExportChunks = "export_chunks";
inline constexpr const char* kExportSha256 = "export_sha256";
inline constexpr const char* kExportFormat = "export_format";
inline constexpr const char* kSourceVerification = "source_verification";
inline constexpr const char* kTargetVerification = "target_verification";
// The snapshot the target's finalize pinned (online): its checksum after the cut-over reads it.
inline constexpr const char* kTargetSnapshot = "target_snapshot";
inline constexpr const char* kVerified = "verified";  // "1": both sides compared (equal)
// Each side's hash_probe output (the PostgreSQL worker's row_hash_probe): equal probes let both
// checksums hash rows in the servers.
inline constexpr const char* kSourceRowHashProbe = "source_row_hash_probe";
inline constexpr const char* kTargetRowHashProbe = "target_row_hash_probe";
}  // namespace fact

struct PlanInput {
  std::string migration_id;
  std::string order_id;
  std::string mode;             // "online" or "offline"
  std::string data_kind;        // "postgresql" or "disk-image"
  std::string source_format;    // disk images: "qcow2", ...
  StringMap target_parameters;  // the provision's parameters (the order's when none given)
  StringMap source_outputs;     // the order's connection details at the source
  StringMap facts;
};

// Bytes of a disk image chunk on mpli.transfer.v1.<migration> and the lag at which an online
// import counts as caught up.
inline constexpr const char* kChunkBytes = "1048576";
inline constexpr const char* kMaxLagBytes = "1048576";

// The waves of `state`'s step. Empty: nothing to submit (importing is skipped offline and for
// disk images; cutting_over is delivery's move_order, which the driver calls itself).
// rolling_back plans from the facts what must be undone.
std::vector<Wave> plan_step(const std::string& state, const PlanInput& input);

// The method both PostgreSQL checksums of a migration use: "row-hash" (each row hashed in its
// server, about a quarter of the CPU) when both servers' probes are equal and not empty, else
// "copy-sha256" (each row's COPY text hashed by the worker: comparable between any two servers,
// whatever their byte order, encoding or version).
std::string checksum_method(const StringMap& facts);

// True when `wave` holds the checksum that completes the verification (the target's): once it
// is done, both sides are compared before anything else happens.
bool completes_verification(const Wave& wave);

// True when `state`'s step is skipped for this mode and data kind (recorded as "skipped").
bool step_skipped(const std::string& state, const std::string& mode, const std::string& data_kind);

// Takes what a succeeded task returned into the facts (task ids for secret sources, the
// publication, lsn, frozen_at, verification, ...).
void record_success(StringMap& facts, const PlannedTask& task, const std::string& task_id,
                    const StringMap& outputs);
// Marks what submitting `task` did to a side (frozen, exported, provisioned), before it is
// submitted: a rollback undoes it even when the task's outcome is never heard.
void record_submitted(StringMap& facts, const PlannedTask& task, const std::string& task_id);

// What a failed rollback leaves behind, one sentence per planned task not done.
std::string left_behind(const PlannedTask& task);

}  // namespace mpli::portability
