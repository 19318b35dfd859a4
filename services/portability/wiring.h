// Wiring of the portability service: its schema, settings, subjects, the task_finished
// consumer and the migration driver.
#pragma once

#include "libs/bus/jetstream.h"
#include "libs/service/runtime.h"

namespace mpli::portability {

service::ServiceDefinition definition();

// MPLI_TRANSFER: the disk-image chunks the source's export publishes for the target's import
// (mpli.transfer.v1.<migration>), kept on file, an hour at most, bounded in bytes.
bus::StreamSpec transfer_stream();

}  // namespace mpli::portability
