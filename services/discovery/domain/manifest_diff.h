// What changed between the offerings of two accepted versions of one provider's manifest.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "services/discovery/domain/offering.h"

namespace mpli::discovery {

struct OfferingDiff {
  std::vector<const OfferingRecord*> added;
  std::vector<const OfferingRecord*> changed;
  std::vector<std::string> removed;  // ids
  bool empty() const { return added.empty() && changed.empty() && removed.empty(); }
};

// `previous`: offering id -> content hash of the version being replaced.
OfferingDiff diff_offerings(const std::map<std::string, std::string>& previous,
                            const std::vector<OfferingRecord>& current);

}  // namespace mpli::discovery
