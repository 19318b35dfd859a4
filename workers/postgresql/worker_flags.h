// The PostgreSQL worker's own flags (beyond worker_main's): --server-dsn-file, --public-host,
// --public-port, read into the provisioner's configuration and checked before any work is taken.
#pragma once

#include <string>
#include <vector>

#include "libs/core/status.h"
#include "libs/worker/worker.h"
#include "workers/postgresql/postgres_provisioner.h"

namespace mpli::pgworker {

// The names handed to worker_main as extra flags.
const std::vector<std::string>& extra_flags();

// kInvalidArgument for a missing or malformed flag, kFailedPrecondition for a DSN file that
// others can read. Exports go to <state-dir>/dumps (none without --state-dir).
Result<ProvisionerConfig> config_from_flags(const worker::Flags& flags);

}  // namespace mpli::pgworker
