#include "services/discovery/domain/manifest_diff.h"

#include <set>

namespace mpli::discovery {

OfferingDiff diff_offerings(const std::map<std::string, std::string>& previous,
                            const std::vector<OfferingRecord>& current) {
  OfferingDiff diff;
  std::set<std::string> seen;
  for (const auto& offering : current) {
    seen.insert(offering.id);
    auto it = previous.find(offering.id);
    if (it == previous.end()) {
      diff.added.push_back(&offering);
    } else if (it->second != offering.content_hash) {
      diff.changed.push_back(&offering);
    }
  }
  for (const auto& [id, hash] : previous) {
    if (seen.count(id) == 0) diff.removed.push_back(id);
  }
  return diff;
}

}  // namespace mpli::discovery
