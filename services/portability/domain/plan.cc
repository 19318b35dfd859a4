#include "services/portability/domain/plan.h"

#include "services/portability/domain/migration_state.h"

namespace mpli::portability {

namespace {

std::string get(const StringMap& map, const std::string& key) {
  auto it = map.find(key);
  return it == map.end() ? "" : it->second;
}

bool is_set(const StringMap& facts, const char* key) { return get(facts, key) == "1"; }

// The source's admin access is the order's own secrets (before cut-over).
SecretRef source_admin(const PlanInput& input) { return {input.order_id, "", ""}; }
// The target's admin access: the secrets its provision task returned.
SecretRef target_admin(const PlanInput& input) {
  return {"", get(input.facts, fact::kProvisionTask), ""};
}
// The source's migration password reaches the target as source_migration_password.
SecretRef source_migration_password(const PlanInput& input) {
  return {"", get(input.facts, fact::kExportTask), "source_"};
}

PlannedTask task(std::string side, std::string operation, StringMap parameters,
                 std::vector<SecretRef> secrets) {
  PlannedTask planned;
  planned.side = std::move(side);
  planned.operation = std::move(operation);
  planned.parameters = std::move(parameters);
  planned.secrets = std::move(secrets);
  return planned;
}

// source_host, source_port, source_database from the order's outputs; source_user is the
// migration user the export created.
StringMap source_access(const PlanInput& input) {
  StringMap out;
  out["source_host"] = get(input.source_outputs, "host");
  out["source_port"] = get(input.source_outputs, "port");
  out["source_database"] = get(input.source_outputs, "database");
  out["source_user"] = get(input.facts, fact::kMigrationUser);
  return out;
}

// The probes that choose both checksums' method (checksum_method), both asked beside the
// export (the target is provisioned by then): known before the transferring step's checksums,
// and no wave of their own.
PlannedTask hash_probe(const std::string& side, const PlanInput& input) {
  return task(side, "hash_probe", {},
              {side == "source" ? source_admin(input) : target_admin(input)});
}

std::vector<Wave> postgresql_step(const std::string& state, const PlanInput& input) {
  const bool online = input.mode == "online";
  const StringMap method = {{"method", checksum_method(input.facts)}};
  if (state == state::kProvisioningTarget) {
    return {{task("target", "provision", input.target_parameters, {})}};
  }
  if (state == state::kExporting) {
    const Wave exporting = {
        task("source", "export", {{"mode", input.mode}, {"migration_id", input.migration_id}},
             {source_admin(input)}),
        hash_probe("source", input), hash_probe("target", input)};
    if (online) return {exporting};
    return {{task("source", "freeze", {}, {source_admin(input)})}, exporting};
  }
  if (state == state::kTransferring) {
    StringMap parameters = source_access(input);
    parameters["mode"] = input.mode;
    parameters["publication"] = get(input.facts, fact::kPublication);
    // Offline the import also checksums the target once it is restored (docs/migrations.md,
    // "The offline copy"): the method tells it to.
    if (!online) parameters["method"] = method.at("method");
    PlannedTask import = task("target", "import", parameters,
                              {target_admin(input), source_migration_password(input)});
    if (online) return {{import}};
    // Offline the source is frozen from the export on: its checksum runs beside the copy.
    return {{import, task("source", "checksum", method, {source_admin(input)})}};
  }
  if (state == state::kImporting) {
    if (!online) return {};
    StringMap parameters = source_access(input);
    parameters["subscription"] = get(input.facts, fact::kSubscription);
    parameters["max_lag_bytes"] = kMaxLagBytes;
    return {{task("target", "catch_up", parameters,
                  {target_admin(input), source_migration_password(input)})}};
  }
  if (state == state::kVerifying) {
    if (!online) {
      // The import's own checksum of the target, when it returned one, is compared as it is.
      if (!get(input.facts, fact::kTargetVerification).empty()) return {};
      return {{task("target", "checksum", method, {target_admin(input)})}};
    }
    // Write downtime runs from the freeze to the cut-over: only the freeze and the catch-up to
    // the frozen position are in it. The checksums follow the cut-over (decommissioning_source),
    // on the frozen source and on the snapshot finalize pinned.
    StringMap parameters = source_access(input);
    parameters["subscription"] = get(input.facts, fact::kSubscription);
    parameters["lsn"] = get(input.facts, fact::kLsn);
    return {{task("source", "freeze", {}, {source_admin(input)})},
            {task("target", "finalize", parameters,
                  {target_admin(input), source_migration_password(input)})}};
  }
  if (state == state::kDecommissioningSource) {
    StringMap cleanup;
    cleanup["migration_user"] = get(input.facts, fact::kMigrationUser);
    if (online) cleanup["publication"] = get(input.facts, fact::kPublication);
    // After cut-over the order's secrets are the target's: the source is reached with the
    // migration user the export created.
    std::vector<Wave> waves;
    if (online) {
      StringMap pinned = method;
      pinned["snapshot"] = get(input.facts, fact::kTargetSnapshot);
      waves.push_back({task("source", "checksum", method, {source_migration_password(input)}),
                       task("target", "checksum", pinned, {target_admin(input)})});
    }
    waves.push_back({task("source", "cleanup", cleanup, {source_migration_password(input)})});
    waves.push_back({task("source", "deprovision", {}, {source_migration_password(input)})});
    return waves;
  }
  return {};
}

// The disk-image worker reaches its own image store: its tasks carry no secrets (a VM order has
// none, and delivery refuses a secret source without secrets).
std::vector<Wave> disk_image_step(const std::string& state, const PlanInput& input) {
  if (state == state::kProvisioningTarget) {
    return {{task("target", "provision", input.target_parameters, {})}};
  }
  if (state == state::kExporting) {
    return {{task("source", "freeze", {}, {})},
            {task("source", "export",
                  {{"migration_id", input.migration_id}, {"chunk_bytes", kChunkBytes}}, {})}};
  }
  if (state == state::kTransferring) {
    StringMap parameters;
    parameters["migration_id"] = input.migration_id;
    parameters["source_format"] = get(input.facts, fact::kExportFormat).empty()
                                      ? input.source_format
                                      : get(input.facts, fact::kExportFormat);
    parameters["bytes"] = get(input.facts, fact::kExportBytes);
    parameters["chunks"] = get(input.facts, fact::kExportChunks);
    parameters["sha256"] = get(input.facts, fact::kExportSha256);
    // The source is frozen from the export on: its checksum runs beside the import.
    return {{task("target", "import", parameters, {}), task("source", "checksum", {}, {})}};
  }
  if (state == state::kVerifying) return {{task("target", "checksum", {}, {})}};
  if (state == state::kDecommissioningSource) {
    return {{task("source", "deprovision", {}, {})}};
  }
  return {};
}

std::vector<Wave> rollback(const PlanInput& input) {
  const bool postgresql = input.data_kind == "postgresql";
  // Only the PostgreSQL worker's tasks carry secrets (see disk_image_step).
  auto with = [postgresql](SecretRef ref) {
    return postgresql ? std::vector<SecretRef>{std::move(ref)} : std::vector<SecretRef>{};
  };
  std::vector<Wave> waves;
  if (is_set(input.facts, fact::kFrozen)) {
    waves.push_back({task("source", "unfreeze", {}, with(source_admin(input)))});
  }
  Wave cleanups;
  if (postgresql && is_set(input.facts, fact::kExported)) {
    StringMap parameters;
    parameters["migration_user"] = get(input.facts, fact::kMigrationUser);
    if (input.mode == "online") parameters["publication"] = get(input.facts, fact::kPublication);
    cleanups.push_back(task("source", "cleanup", parameters, {source_admin(input)}));
  }
  if (postgresql && is_set(input.facts, fact::kProvisioned)) {
    StringMap parameters;
    if (!get(input.facts, fact::kSubscription).empty()) {
      parameters["subscription"] = get(input.facts, fact::kSubscription);
    }
    cleanups.push_back(task("target", "cleanup", parameters, {target_admin(input)}));
  }
  if (!cleanups.empty()) waves.push_back(cleanups);
  if (is_set(input.facts, fact::kProvisioned)) {
    waves.push_back(
        {task("target", "deprovision", input.target_parameters, with(target_admin(input)))});
  }
  return waves;
}

}  // namespace

std::string checksum_method(const StringMap& facts) {
  const std::string source = get(facts, fact::kSourceRowHashProbe);
  return !source.empty() && source == get(facts, fact::kTargetRowHashProbe) ? "row-hash"
                                                                            : "copy-sha256";
}

bool completes_verification(const Wave& wave) {
  for (const auto& planned : wave) {
    if (planned.side == "target" && planned.operation == "checksum") return true;
  }
  return false;
}

bool step_skipped(const std::string& state, const std::string& mode, const std::string& data_kind) {
  return state == state::kImporting && (mode != "online" || data_kind != "postgresql");
}

std::vector<Wave> plan_step(const std::string& state, const PlanInput& input) {
  if (state == state::kRollingBack) return rollback(input);
  if (step_skipped(state, input.mode, input.data_kind)) return {};
  if (input.data_kind == "postgresql") return postgresql_step(state, input);
  if (input.data_kind == "disk-image") return disk_image_step(state, input);
  return {};
}

void record_submitted(StringMap& facts, const PlannedTask& task, const std::string& task_id) {
  if (task.side == "target" && task.operation == "provision") {
    facts[fact::kProvisioned] = "1";
    facts[fact::kProvisionTask] = task_id;
  } else if (task.side == "source" && task.operation == "export") {
    facts[fact::kExported] = "1";
    facts[fact::kExportTask] = task_id;
  } else if (task.side == "source" && task.operation == "freeze") {
    // Stays set after an unfreeze: the rollback's plan must not change under its own tasks.
    facts[fact::kFrozen] = "1";
  }
}

void record_success(StringMap& facts, const PlannedTask& task, const std::string& task_id,
                    const StringMap& outputs) {
  record_submitted(facts, task, task_id);
  auto take = [&](const std::string& output, const char* key) {
    auto it = outputs.find(output);
    if (it != outputs.end() && !it->second.empty()) facts[key] = it->second;
  };
  const std::string& op = task.operation;
  if (task.side == "source" && op == "export") {
    take("publication", fact::kPublication);
    take("migration_user", fact::kMigrationUser);
    take("bytes", fact::kExportBytes);
    take("chunks", fact::kExportChunks);
    take("sha256", fact::kExportSha256);
    take("format", fact::kExportFormat);
  } else if (task.side == "source" && op == "freeze") {
    take("frozen_at", fact::kFrozenAt);
    take("lsn", fact::kLsn);
  } else if (task.side == "target" && op == "import") {
    take("subscription", fact::kSubscription);
    take("verification", fact::kTargetVerification);  // offline, given a method
  } else if (task.side == "target" && op == "finalize") {
    take("snapshot", fact::kTargetSnapshot);
  } else if (op == "hash_probe") {
    take("row_hash_probe",
         task.side == "source" ? fact::kSourceRowHashProbe : fact::kTargetRowHashProbe);
  } else if (op == "checksum") {
    take("verification",
         task.side == "source" ? fact::kSourceVerification : fact::kTargetVerification);
  }
}

std::string left_behind(const PlannedTask& task) {
  if (task.operation == "unfreeze") return "the source's writes are still frozen";
  if (task.operation == "cleanup") {
    return "the " + task.side + "'s migration objects (user, publication or subscription) remain";
  }
  if (task.operation == "deprovision") return "the " + task.side + " service is still provisioned";
  return "the " + task.side + "'s " + task.operation + " did not finish";
}

}  // namespace mpli::portability
