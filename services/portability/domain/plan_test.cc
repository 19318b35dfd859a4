#include "services/portability/domain/plan.h"

#include <catch2/catch.hpp>

#include "services/portability/domain/migration_state.h"

using namespace mpli;
using namespace mpli::portability;

namespace {

PlanInput input(const std::string& mode, const std::string& kind = "postgresql") {
  PlanInput in;
  in.migration_id = "mig_1";
  in.order_id = "ord_1";
  in.mode = mode;
  in.data_kind = kind;
  in.source_format = "qcow2";
  in.target_parameters = {{"size", "small"}};
  in.source_outputs = {{"host", "db.a"}, {"port", "5432"}, {"database", "shop"}, {"user", "u"}};
  in.facts = {{fact::kProvisionTask, "tsk_p"},    {fact::kExportTask, "tsk_e"},
              {fact::kMigrationUser, "mig_user"}, {fact::kPublication, "pub1"},
              {fact::kSubscription, "sub1"},      {fact::kLsn, "0/16B3748"}};
  return in;
}

// "side:operation" per wave, waves separated by "|".
std::string shape(const std::vector<Wave>& waves) {
  std::string out;
  for (const auto& wave : waves) {
    if (!out.empty()) out += " | ";
    std::string line;
    for (const auto& task : wave) line += (line.empty() ? "" : " ") + task.key();
    out += line;
  }
  return out;
}

std::string walk(const PlanInput& in) {
  std::string out;
  for (std::string s = state::kProvisioningTarget; s != state::kCompleted;
       s = state::next_forward(s)) {
    out += s + ": " +
           (step_skipped(s, in.mode, in.data_kind) ? "skipped" : shape(plan_step(s, in))) + "\n";
  }
  return out;
}

}  // namespace

TEST_CASE("an online PostgreSQL migration follows the docs' plan step by step") {
  CHECK(walk(input("online")) ==
        "provisioning_target: target:provision\n"
        "exporting: source:export source:hash_probe target:hash_probe\n"
        "transferring: target:import\n"
        "importing: target:catch_up\n"
        "verifying: source:freeze | target:finalize\n"
        "cutting_over: \n"
        "decommissioning_source: source:checksum target:checksum | source:cleanup | "
        "source:deprovision\n");
}

TEST_CASE("an offline PostgreSQL migration freezes before exporting and skips importing") {
  CHECK(walk(input("offline")) ==
        "provisioning_target: target:provision\n"
        "exporting: source:freeze | source:export source:hash_probe target:hash_probe\n"
        "transferring: target:import source:checksum\n"
        "importing: skipped\n"
        "verifying: target:checksum\n"
        "cutting_over: \n"
        "decommissioning_source: source:cleanup | source:deprovision\n");
}

TEST_CASE("a disk image moves in chunks and is converted while importing") {
  CHECK(walk(input("offline", "disk-image")) ==
        "provisioning_target: target:provision\n"
        "exporting: source:freeze | source:export\n"
        "transferring: target:import source:checksum\n"
        "importing: skipped\n"
        "verifying: target:checksum\n"
        "cutting_over: \n"
        "decommissioning_source: source:deprovision\n");
  PlanInput in = input("offline", "disk-image");
  in.facts[fact::kExportBytes] = "1024";
  in.facts[fact::kExportChunks] = "1";
  in.facts[fact::kExportSha256] = "abc";
  auto exporting = plan_step(state::kExporting, in);
  CHECK(exporting[1][0].parameters.at("chunk_bytes") == kChunkBytes);
  CHECK(exporting[1][0].parameters.at("migration_id") == "mig_1");
  auto import = plan_step(state::kTransferring, in)[0][0];
  CHECK(import.parameters == StringMap{{"migration_id", "mig_1"},
                                       {"source_format", "qcow2"},
                                       {"bytes", "1024"},
                                       {"chunks", "1"},
                                       {"sha256", "abc"}});
  // A VM order has no secrets, and delivery refuses a secret source without any: no disk-image
  // task, rollback included, names one.
  in.facts[fact::kProvisioned] = "1";
  in.facts[fact::kFrozen] = "1";
  for (const char* state :
       {state::kProvisioningTarget, state::kExporting, state::kTransferring, state::kVerifying,
        state::kDecommissioningSource, state::kRollingBack}) {
    for (const auto& wave : plan_step(state, in)) {
      for (const auto& task : wave) {
        INFO(state << " " << task.side << ":" << task.operation);
        CHECK(task.secrets.empty());
      }
    }
  }
}

TEST_CASE("parameters and secret sources follow the worker operation table") {
  PlanInput in = input("online");
  auto provision = plan_step(state::kProvisioningTarget, in)[0][0];
  CHECK(provision.parameters == StringMap{{"size", "small"}});
  CHECK(provision.secrets.empty());

  auto exporting = plan_step(state::kExporting, in)[0][0];
  CHECK(exporting.parameters == StringMap{{"mode", "online"}, {"migration_id", "mig_1"}});
  CHECK(exporting.secrets == std::vector<SecretRef>{{"ord_1", "", ""}});

  auto import = plan_step(state::kTransferring, in)[0][0];
  CHECK(import.parameters == StringMap{{"mode", "online"},
                                       {"source_host", "db.a"},
                                       {"source_port", "5432"},
                                       {"source_database", "shop"},
                                       {"source_user", "mig_user"},
                                       {"publication", "pub1"}});
  // The target's own access, and the source's migration password as source_migration_password.
  CHECK(import.secrets == std::vector<SecretRef>{{"", "tsk_p", ""}, {"", "tsk_e", "source_"}});

  auto catch_up = plan_step(state::kImporting, in)[0][0];
  CHECK(catch_up.parameters.at("subscription") == "sub1");
  CHECK(catch_up.parameters.at("max_lag_bytes") == kMaxLagBytes);

  auto finalize = plan_step(state::kVerifying, in)[1][0];
  CHECK(finalize.operation == "finalize");
  CHECK(finalize.parameters.at("lsn") == "0/16B3748");
  CHECK(finalize.parameters.at("subscription") == "sub1");
  CHECK(finalize.secrets[1].prefix == "source_");

  // After the cut-over the target is compared as finalize pinned it.
  in.facts[fact::kTargetSnapshot] = "00000003-0000001B-1";
  auto checksums = plan_step(state::kDecommissioningSource, in)[0];
  REQUIRE(checksums.size() == 2);
  CHECK(checksums[1].key() == "target:checksum");
  CHECK(checksums[1].parameters ==
        StringMap{{"snapshot", "00000003-0000001B-1"}, {"method", "copy-sha256"}});
  CHECK(completes_verification(checksums));
  CHECK_FALSE(completes_verification(plan_step(state::kDecommissioningSource, in)[1]));
  // Offline the target's checksum alone completes it; the source's ran beside the import.
  CHECK(completes_verification(plan_step(state::kVerifying, input("offline"))[0]));
  CHECK_FALSE(completes_verification(plan_step(state::kTransferring, input("offline"))[0]));
}

TEST_CASE("both checksums hash rows in the servers only when both servers' probes agree") {
  PlanInput in = input("offline");
  // The import (which checksums the target offline), the source's checksum beside it, and the
  // target's checksum task when the import returned none.
  auto methods = [&] {
    auto transferring = plan_step(state::kTransferring, in)[0];
    return transferring[0].parameters.at("method") + " " + transferring[1].parameters.at("method") +
           " " + plan_step(state::kVerifying, in)[0][0].parameters.at("method");
  };
  CHECK(methods() == "copy-sha256 copy-sha256 copy-sha256");  // no probe heard of
  in.facts[fact::kSourceRowHashProbe] = "UTF8:-4711";
  CHECK(methods() == "copy-sha256 copy-sha256 copy-sha256");
  in.facts[fact::kTargetRowHashProbe] = "LATIN1:815";  // another encoding (or byte order)
  CHECK(methods() == "copy-sha256 copy-sha256 copy-sha256");
  in.facts[fact::kTargetRowHashProbe] = "UTF8:-4711";
  CHECK(methods() == "row-hash row-hash row-hash");
  in.facts[fact::kSourceRowHashProbe] = "";  // a server before PostgreSQL 11
  in.facts[fact::kTargetRowHashProbe] = "";
  CHECK(methods() == "copy-sha256 copy-sha256 copy-sha256");
  // Online the import copies by subscription and checksums nothing.
  CHECK(plan_step(state::kTransferring, input("online"))[0][0].parameters.count("method") == 0);

  StringMap facts;
  record_success(facts, PlannedTask{"source", "hash_probe", {}, {}}, "tsk_s",
                 {{"row_hash_probe", "UTF8:1"}});
  record_success(facts, PlannedTask{"target", "hash_probe", {}, {}}, "tsk_t",
                 {{"row_hash_probe", "UTF8:1"}});
  CHECK(checksum_method(facts) == "row-hash");
  PlannedTask probe = plan_step(state::kExporting, input("online"))[0][2];
  CHECK(probe.key() == "target:hash_probe");
  CHECK(probe.secrets == std::vector<SecretRef>{{"", "tsk_p", ""}});
  probe = plan_step(state::kExporting, input("online"))[0][1];
  CHECK(probe.key() == "source:hash_probe");
  CHECK(probe.secrets == std::vector<SecretRef>{{"ord_1", "", ""}});
}

TEST_CASE("offline, the import's own checksum of the target leaves verifying nothing to run") {
  PlanInput in = input("offline");
  PlannedTask import = plan_step(state::kTransferring, in)[0][0];
  REQUIRE(import.key() == "target:import");
  record_success(in.facts, import, "tsk_i",
                 {{"bytes", "4096"}, {"verification", R"([{"name":"public.t","rows":1}])"}});
  CHECK(in.facts.at(fact::kTargetVerification) == R"([{"name":"public.t","rows":1}])");
  CHECK(plan_step(state::kVerifying, in).empty());
  // Online an import never carries one; its checksums follow the cut-over.
  CHECK(shape(plan_step(state::kVerifying, input("online"))) == "source:freeze | target:finalize");
}

TEST_CASE("rollback undoes exactly what was done") {
  PlanInput in = input("online");
  CHECK(shape(plan_step(state::kRollingBack, in)).empty());  // nothing submitted: nothing to undo
  in.facts[fact::kProvisioned] = "1";
  CHECK(shape(plan_step(state::kRollingBack, in)) == "target:cleanup | target:deprovision");
  in.facts[fact::kExported] = "1";
  in.facts[fact::kFrozen] = "1";
  CHECK(shape(plan_step(state::kRollingBack, in)) ==
        "source:unfreeze | source:cleanup target:cleanup | target:deprovision");
  auto source_cleanup = plan_step(state::kRollingBack, in)[1][0];
  CHECK(source_cleanup.parameters ==
        StringMap{{"migration_user", "mig_user"}, {"publication", "pub1"}});

  PlanInput disk = input("offline", "disk-image");
  disk.facts[fact::kProvisioned] = "1";
  disk.facts[fact::kExported] = "1";
  disk.facts[fact::kFrozen] = "1";
  CHECK(shape(plan_step(state::kRollingBack, disk)) == "source:unfreeze | target:deprovision");
}

TEST_CASE("facts record task ids on submission and outputs on success") {
  StringMap facts;
  PlannedTask provision{"target", "provision", {}, {}};
  record_submitted(facts, provision, "tsk_p");
  CHECK(facts.at(fact::kProvisioned) == "1");
  CHECK(facts.at(fact::kProvisionTask) == "tsk_p");

  PlannedTask freeze{"source", "freeze", {}, {}};
  record_success(facts, freeze, "tsk_f",
                 {{"frozen_at", "2026-12-03T06:00:00.000Z"}, {"lsn", "0/1"}});
  CHECK(facts.at(fact::kFrozen) == "1");
  CHECK(facts.at(fact::kFrozenAt) == "2026-12-03T06:00:00.000Z");
  CHECK(facts.at(fact::kLsn) == "0/1");

  PlannedTask exporting{"source", "export", {}, {}};
  record_success(facts, exporting, "tsk_e", {{"publication", "p"}, {"migration_user", "m"}});
  CHECK(facts.at(fact::kExportTask) == "tsk_e");
  CHECK(facts.at(fact::kPublication) == "p");

  PlannedTask checksum{"target", "checksum", {}, {}};
  record_success(facts, checksum, "tsk_c", {{"verification", "[]"}});
  CHECK(facts.at(fact::kTargetVerification) == "[]");
  CHECK(facts.count(fact::kSourceVerification) == 0);

  PlannedTask finalize{"target", "finalize", {}, {}};
  record_success(facts, finalize, "tsk_z", {{"sequences", "2"}, {"snapshot", "00000003-1"}});
  CHECK(facts.at(fact::kTargetSnapshot) == "00000003-1");
  CHECK(left_behind(PlannedTask{"source", "unfreeze", {}, {}}) ==
        "the source's writes are still frozen");
}
