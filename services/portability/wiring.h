// Wiring of the portability service: its schema, settings and the handlers it serves.
#pragma once

#include "libs/service/runtime.h"

namespace mpli::portability {

service::ServiceDefinition definition();

}  // namespace mpli::portability
