// What `mpli up` runs for each demo provider besides its manifest server: the provider's own
// PostgreSQL server and the PostgreSQL worker that creates databases on it, when the manifest
// has an offering whose delivery binding names mpli:PostgresqlWorker.
#pragma once

#include <string>

#include "libs/core/status.h"

namespace mpli::cli {

struct DemoProvider {
  std::string manifest;     // the file
  std::string provider_id;  // mpli:providerId, checked with process::validate_provider_id
  bool postgresql_worker = false;
};

// Reads `manifest` (Turtle). An unreadable manifest, a missing provider id or one that cannot be
// a NATS subject token is an error naming the file.
Result<DemoProvider> read_demo_provider(const std::string& manifest);

}  // namespace mpli::cli
