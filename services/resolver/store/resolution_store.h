// The resolver's one table: resolutions as answered, with the manifest they answer and the
// tenant they were stored for.
#pragma once

#include <optional>
#include <string>

#include "libs/core/status.h"
#include "libs/db/pool.h"
#include "mpli/resolver/v1/resolver.pb.h"

namespace mpli::resolver {

struct StoredResolution {
  std::string manifest;
  v1::Resolution resolution;
};

class ResolutionStore {
 public:
  explicit ResolutionStore(db::Pool& pool) : pool_(pool) {}
  Status put(const std::string& manifest, const v1::Resolution& resolution);
  Result<std::optional<StoredResolution>> get(const std::string& id);

 private:
  db::Pool& pool_;
};

}  // namespace mpli::resolver
