#include "libs/bus/call.h"

namespace mpli::bus {

Headers with_deadline(const Headers& headers, std::chrono::milliseconds timeout) {
  Headers out = headers;
  auto deadline = std::chrono::system_clock::now() + timeout;
  out[kDeadlineHeader] = std::to_string(
      std::chrono::duration_cast<std::chrono::milliseconds>(deadline.time_since_epoch()).count());
  return out;
}

}  // namespace mpli::bus
