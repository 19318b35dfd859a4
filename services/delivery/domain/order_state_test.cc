#include "services/delivery/domain/order_state.h"

#include <catch2/catch.hpp>

using namespace mpli;
using namespace mpli::delivery;

namespace {
WorkFacts work(const std::string& operation, int attempt = 1,
               const std::string& purpose = "order") {
  return WorkFacts{operation, purpose, attempt, 5};
}
}  // namespace

TEST_CASE("modify fits only an active order and names the state otherwise") {
  CHECK(check_modify("active").is_ok());
  for (const char* s : {"requested", "provisioning", "modifying", "deprovisioning", "deleted",
                        "failed", "rejected"}) {
    Status refused = check_modify(s);
    CHECK(refused.code() == StatusCode::kConflict);
    CHECK(refused.detail("reason") == "INVALID_STATE");
    CHECK(refused.detail("state") == s);
  }
}

TEST_CASE("delete deprovisions an active order, waits for work in flight, repeats harmlessly") {
  CHECK(*check_delete("active") == DeleteAction::kDeprovision);
  CHECK(*check_delete("provisioning") == DeleteAction::kMarkRequested);
  CHECK(*check_delete("modifying") == DeleteAction::kMarkRequested);
  CHECK(*check_delete("requested") == DeleteAction::kMarkRequested);
  CHECK(*check_delete("deprovisioning") == DeleteAction::kAlreadyDeleting);
  CHECK(*check_delete("deleted") == DeleteAction::kAlreadyDeleting);
  auto refused = check_delete("rejected");
  REQUIRE_FALSE(refused.is_ok());
  CHECK(refused.status().detail("state") == "rejected");
  CHECK(check_accept("requested").is_ok());
  CHECK(check_accept("active").detail("reason") == "INVALID_STATE");
}

TEST_CASE("a successful provision makes the order active, or deprovisions a deleted one") {
  auto d = decide_outcome({"provisioning", false}, work("provision"), WorkEnd::kSucceeded, false,
                          "done");
  CHECK(d.item == OutcomeDecision::Item::kSucceeded);
  CHECK(d.to_state == std::optional<std::string>("active"));
  CHECK(d.take_outputs);
  CHECK_FALSE(d.next_operation);

  auto deleting =
      decide_outcome({"provisioning", true}, work("provision"), WorkEnd::kSucceeded, false, "");
  CHECK(deleting.to_state == std::optional<std::string>("deprovisioning"));
  CHECK(deleting.next_operation == std::optional<std::string>("deprovision"));
  CHECK(deleting.next_purpose == "order");
}

TEST_CASE("a retryable failure with attempts left is a retry, the last one fails the order") {
  auto retry =
      decide_outcome({"provisioning", false}, work("provision", 2), WorkEnd::kFailed, true, "x");
  CHECK(retry.item == OutcomeDecision::Item::kRetry);
  CHECK_FALSE(retry.to_state);

  auto last =
      decide_outcome({"provisioning", false}, work("provision", 5), WorkEnd::kFailed, true, "x");
  CHECK(last.item == OutcomeDecision::Item::kFailed);
  CHECK(last.to_state == std::optional<std::string>("failed"));
  // Nothing may stay behind: a cleanup deprovision follows.
  CHECK(last.next_operation == std::optional<std::string>("deprovision"));
  CHECK(last.next_purpose == "cleanup");

  auto permanent =
      decide_outcome({"provisioning", false}, work("provision", 1), WorkEnd::kFailed, false, "x");
  CHECK(permanent.item == OutcomeDecision::Item::kFailed);
  CHECK(permanent.to_state == std::optional<std::string>("failed"));
}

TEST_CASE("a failed modify returns the order to active with the reason") {
  auto d = decide_outcome({"modifying", false}, work("modify"), WorkEnd::kFailed, false,
                          "disk too small");
  CHECK(d.item == OutcomeDecision::Item::kFailed);
  CHECK(d.to_state == std::optional<std::string>("active"));
  CHECK(d.reason.find("disk too small") != std::string::npos);
  CHECK_FALSE(d.take_parameters);

  auto ok = decide_outcome({"modifying", false}, work("modify"), WorkEnd::kSucceeded, false, "");
  CHECK(ok.to_state == std::optional<std::string>("active"));
  CHECK(ok.take_parameters);
}

TEST_CASE("deprovision success deletes the order, a cleanup changes no state") {
  auto d =
      decide_outcome({"deprovisioning", true}, work("deprovision"), WorkEnd::kSucceeded, false, "");
  CHECK(d.to_state == std::optional<std::string>("deleted"));
  auto cleanup = decide_outcome({"failed", false}, work("deprovision", 1, "cleanup"),
                                WorkEnd::kSucceeded, false, "");
  CHECK(cleanup.item == OutcomeDecision::Item::kSucceeded);
  CHECK_FALSE(cleanup.to_state);
  auto cleanup_failed = decide_outcome({"failed", false}, work("deprovision", 5, "cleanup"),
                                       WorkEnd::kFailed, true, "");
  CHECK(cleanup_failed.item == OutcomeDecision::Item::kFailed);
  CHECK_FALSE(cleanup_failed.to_state);
}

TEST_CASE("states are known and three are terminal") {
  CHECK(is_known_state("deprovisioning"));
  CHECK_FALSE(is_known_state("running"));
  CHECK(is_terminal("deleted"));
  CHECK(is_terminal("rejected"));
  CHECK(is_terminal("failed"));
  CHECK_FALSE(is_terminal("active"));
}
