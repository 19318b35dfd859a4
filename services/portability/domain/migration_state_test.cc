#include "services/portability/domain/migration_state.h"

#include <catch2/catch.hpp>

using namespace mpli;
using namespace mpli::portability;

TEST_CASE("the forward path walks every state to completed") {
  std::vector<std::string> path;
  for (std::string s = state::kPlanned; !s.empty(); s = state::next_forward(s)) path.push_back(s);
  CHECK(path == std::vector<std::string>{"planned", "provisioning_target", "exporting",
                                         "transferring", "importing", "verifying", "cutting_over",
                                         "decommissioning_source", "completed"});
  for (size_t i = 0; i + 1 < path.size(); ++i) CHECK(state::allowed(path[i], path[i + 1]));
  CHECK_FALSE(state::allowed("exporting", "verifying"));  // no step is jumped over
}

TEST_CASE("before cutting_over a migration rolls back, after it it cannot") {
  for (const char* s :
       {"planned", "provisioning_target", "exporting", "transferring", "importing", "verifying"}) {
    CHECK(state::can_roll_back(s));
    CHECK(state::allowed(s, "rolling_back"));
  }
  for (const char* s : {"cutting_over", "decommissioning_source", "completed", "rolling_back",
                        "rolled_back", "failed"}) {
    CHECK_FALSE(state::can_roll_back(s));
    CHECK_FALSE(state::allowed(s, "rolling_back"));
  }
  CHECK(state::allowed("rolling_back", "rolled_back"));
  CHECK(state::allowed("rolling_back", "failed"));
  CHECK(state::allowed("decommissioning_source", "failed"));
}

TEST_CASE("terminal states go nowhere and a refused transition names the state") {
  for (const char* s : {"completed", "rolled_back", "failed"}) {
    CHECK(state::is_terminal(s));
    for (const char* to : {"planned", "rolling_back", "failed", "completed"}) {
      CHECK_FALSE(state::allowed(s, to));
    }
  }
  CHECK_FALSE(state::is_terminal("cutting_over"));
  Status refused = state::check_transition("completed", "rolling_back");
  CHECK(refused.code() == StatusCode::kConflict);
  CHECK(refused.detail("reason") == "INVALID_STATE");
  CHECK(refused.detail("domain") == "portability");
  CHECK(refused.detail("state") == "completed");
  CHECK(state::is_known("importing"));
  CHECK_FALSE(state::is_known("moving"));
}
