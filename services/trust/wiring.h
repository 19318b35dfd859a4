// Wiring of the trust service: its schema, settings and the handlers it serves.
#pragma once

#include "libs/service/runtime.h"

namespace mpli::trust {

service::ServiceDefinition definition();

}  // namespace mpli::trust
