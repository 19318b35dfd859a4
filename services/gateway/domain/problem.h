// How a Status from a service becomes an HTTP answer: the status code and an RFC 9457
// problem+json body that keeps the service's details (field, line, column, violations).
#pragma once

#include <nlohmann/json.hpp>

#include "libs/core/status.h"

namespace mpli::gateway {

struct Problem {
  int http_status = 500;
  nlohmann::json body;
  int retry_after_seconds = 0;  // > 0: send a Retry-After header
};

Problem problem_for(const Status& status);

}  // namespace mpli::gateway
