// Discovery's typed errors: a StatusCode for the transport (and the HTTP status at the gateway)
// and an ErrorReason (proto/mpli/discovery/v1/discovery.proto) that callers switch on.
#pragma once

#include <map>
#include <string>

#include "libs/core/status.h"
#include "mpli/discovery/v1/discovery.pb.h"

namespace mpli::discovery {

// The `domain` of discovery's errors (mpli.common.v1.Error.domain): whose ErrorReason it is.
inline constexpr const char* kErrorDomain = "discovery";

// A Status carrying {"reason": ErrorReason_Name(reason), "domain": "discovery"} besides
// `details`.
Status discovery_error(StatusCode code, v1::ErrorReason reason, std::string message,
                       std::map<std::string, std::string> details = {});

// The ErrorReason a Status carries; ERROR_REASON_UNSPECIFIED when it carries none of ours.
v1::ErrorReason reason_of(const Status& status);

// "MANIFEST_TOO_LARGE" -> "manifest_too_large": how events and stored rejections spell it.
std::string lower_case_name(v1::ErrorReason reason);

}  // namespace mpli::discovery
