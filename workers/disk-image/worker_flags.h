// The disk-image worker's own flags (beyond worker_main's): --store-dir and --image-format, read
// into the store's configuration and checked before any work is taken.
#pragma once

#include <string>
#include <vector>

#include "libs/bus/connection.h"
#include "libs/core/status.h"
#include "libs/worker/worker.h"
#include "workers/disk-image/disk_image_store.h"

namespace mpli::diskimage {

// The names handed to worker_main as extra flags.
const std::vector<std::string>& extra_flags();

// kInvalidArgument for a missing store or a format other than qcow2, raw, vmdk (default qcow2).
Result<StoreConfig> config_from_flags(const worker::Flags& flags);

// The transfer connection: the worker's own NATS user and inbox prefix (_INBOX_<provider>), as
// the SDK's connection has them.
bus::ConnectOptions transfer_connect_options(const worker::Flags& flags);

}  // namespace mpli::diskimage
