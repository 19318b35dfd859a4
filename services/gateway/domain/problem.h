// How an error becomes an HTTP answer: the status code and an RFC 9457 problem+json body.
// Service errors switch on their typed reason (the ErrorReason of discovery, trust or the
// resolver, by `domain`) and keep the details a client acts on: reason, code, field, line,
// column, violations; kBusy and the resolver's INDEX_NOT_READY carry Retry-After.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "libs/core/status.h"

namespace mpli::gateway {

struct Problem {
  int http_status = 500;
  nlohmann::json body;
  int retry_after_seconds = 0;  // > 0: send a Retry-After header
};

// A Status from a service (or from the gateway's own checks) as the answer to the client.
Problem problem_for(const Status& status);

// An error of the HTTP exchange itself that no StatusCode names (405, 406, 408, 415, 431, ...).
Problem http_problem(int http_status, const std::string& detail);

}  // namespace mpli::gateway
