#include "services/discovery/domain/errors.h"

#include <cctype>

namespace mpli::discovery {

Status discovery_error(StatusCode code, v1::ErrorReason reason, std::string message,
                       std::map<std::string, std::string> details) {
  details["reason"] = v1::ErrorReason_Name(reason);
  details["domain"] = kErrorDomain;
  return Status(code, std::move(message), std::move(details));
}

v1::ErrorReason reason_of(const Status& status) {
  v1::ErrorReason reason = v1::ERROR_REASON_UNSPECIFIED;
  if (!v1::ErrorReason_Parse(status.detail("reason"), &reason)) {
    return v1::ERROR_REASON_UNSPECIFIED;
  }
  return reason;
}

std::string lower_case_name(v1::ErrorReason reason) {
  std::string name = v1::ErrorReason_Name(reason);
  for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return name;
}

}  // namespace mpli::discovery
