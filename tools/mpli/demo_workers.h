// What `mpli up` runs for each demo provider besides its manifest server: the provider's own
// PostgreSQL server and the PostgreSQL worker that creates databases on it, when the manifest
// has an offering whose delivery binding names mpli:PostgresqlWorker; the disk-image worker and
// its image store, when one names mpli:DiskImageWorker.
#pragma once

#include <string>

#include "libs/core/status.h"

namespace mpli::cli {

struct DemoProvider {
  std::string manifest;     // the file
  std::string provider_id;  // mpli:providerId, checked with process::validate_provider_id
  bool postgresql_worker = false;
  bool disk_image_worker = false;
  // The image store's own format (--image-format), when disk_image_worker: the three demo
  // providers differ on purpose, so a migration among them converts (demo_image_format).
  std::string image_format;
};

// Reads `manifest` (Turtle). An unreadable manifest, a missing provider id or one that cannot be
// a NATS subject token is an error naming the file.
Result<DemoProvider> read_demo_provider(const std::string& manifest);

// hexacloud qcow2, nordwolke raw, polderstack vmdk; qcow2 for any other provider.
std::string demo_image_format(const std::string& provider_id);

// Appends to <data_dir>/postgresql.conf (once; later lines win) what online migrations need of
// a provider's server: wal_level = logical, with replication slots and WAL senders to spare.
// Takes effect at the server's next start, so it is called between initdb and start.
Status enable_logical_replication(const std::string& data_dir);

}  // namespace mpli::cli
