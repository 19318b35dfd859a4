// Wiring of the discovery service: its schema, settings and the handlers it serves.
#pragma once

#include "libs/service/runtime.h"

namespace mpli::discovery {

service::ServiceDefinition definition();

}  // namespace mpli::discovery
