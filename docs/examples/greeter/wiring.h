// The greeter's ServiceDefinition: one typed endpoint, one event consumer, one timer.
#pragma once

#include "libs/service/runtime.h"

namespace mpli::greeter {

service::ServiceDefinition definition();

}  // namespace mpli::greeter
