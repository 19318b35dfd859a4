// Wiring of the delivery service: its schema, settings and the handlers it serves.
#pragma once

#include "libs/service/runtime.h"

namespace mpli::delivery {

service::ServiceDefinition definition();

}  // namespace mpli::delivery
