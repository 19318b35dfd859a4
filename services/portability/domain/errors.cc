#include "services/portability/domain/errors.h"

namespace mpli::portability {

Status portability_error(StatusCode code, std::string_view reason, std::string message,
                         std::map<std::string, std::string> details) {
  details["reason"] = std::string(reason);
  details["domain"] = "portability";
  return Status(code, std::move(message), std::move(details));
}

Status bad_request(const std::string& field, const std::string& message) {
  return portability_error(StatusCode::kInvalidArgument, "BAD_REQUEST", field + ": " + message,
                           {{"field", field}});
}

}  // namespace mpli::portability
