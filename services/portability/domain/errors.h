// Portability's typed errors: mpli.common.v1.Error replies with domain "portability" and a
// reason from portability.v1.ErrorReason.
#pragma once

#include <map>
#include <string>
#include <string_view>

#include "libs/core/status.h"

namespace mpli::portability {

Status portability_error(StatusCode code, std::string_view reason, std::string message,
                         std::map<std::string, std::string> details = {});

Status bad_request(const std::string& field, const std::string& message);

}  // namespace mpli::portability
