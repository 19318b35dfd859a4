// The greeter's decisions in plain C++ (no bus, no database): what a valid name is and what
// to answer. Unit-testable as it is.
#pragma once

#include <string>

#include "libs/core/status.h"
#include "mpli/examples/greeter/v1/greeter.pb.h"

namespace mpli::greeter {

// kInvalidArgument naming the field and the reason (a value of greeter.v1.ErrorReason).
inline Status check_name(const std::string& name) {
  using examples::greeter::v1::ErrorReason_Name;
  if (name.empty()) {
    return Status(
        StatusCode::kInvalidArgument, "name: required",
        {{"field", "name"}, {"reason", ErrorReason_Name(examples::greeter::v1::NAME_MISSING)}});
  }
  if (name.size() > 100) {
    return Status(
        StatusCode::kInvalidArgument, "name: at most 100 bytes",
        {{"field", "name"}, {"reason", ErrorReason_Name(examples::greeter::v1::NAME_TOO_LONG)}});
  }
  return Status::ok();
}

inline std::string greeting(const std::string& name, int times_seen) {
  if (times_seen == 0) return "Hello, " + name + "!";
  return "Hello again, " + name + " (seen " + std::to_string(times_seen) + " times)";
}

}  // namespace mpli::greeter
