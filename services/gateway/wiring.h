// Wiring of the gateway: the HTTP edge in front of the bus; no database of its own.
#pragma once

#include "libs/service/runtime.h"

namespace mpli::gateway {

service::ServiceDefinition definition();

}  // namespace mpli::gateway
