#include "services/discovery/domain/manifest_diff.h"

#include <catch2/catch.hpp>

using namespace mpli::discovery;

namespace {
OfferingRecord offering(std::string id, std::string hash) {
  OfferingRecord o;
  o.id = std::move(id);
  o.content_hash = std::move(hash);
  return o;
}
}  // namespace

TEST_CASE("diff names exactly the added, changed and removed offerings") {
  std::map<std::string, std::string> previous = {{"a", "h1"}, {"b", "h2"}, {"c", "h3"}};
  std::vector<OfferingRecord> current = {offering("a", "h1"), offering("b", "h2-new"),
                                         offering("d", "h4")};
  OfferingDiff diff = diff_offerings(previous, current);
  REQUIRE(diff.added.size() == 1);
  CHECK(diff.added[0]->id == "d");
  REQUIRE(diff.changed.size() == 1);
  CHECK(diff.changed[0]->id == "b");
  REQUIRE(diff.removed.size() == 1);
  CHECK(diff.removed[0] == "c");
}

TEST_CASE("an identical set of offerings is an empty diff") {
  std::map<std::string, std::string> previous = {{"a", "h1"}};
  CHECK(diff_offerings(previous, {offering("a", "h1")}).empty());
  CHECK(diff_offerings({}, {}).empty());
}
