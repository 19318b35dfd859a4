// Wiring of the resolver service: its schema, settings and the handlers it serves.
#pragma once

#include "libs/service/runtime.h"

namespace mpli::resolver {

service::ServiceDefinition definition();

}  // namespace mpli::resolver
