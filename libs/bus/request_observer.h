// A process-wide observer of bus requests: told the outcome of every Connection::request() (ok,
// a typed error, a deadline, nobody answering) and how long it took. The gateway counts them
// for /metrics. Process-wide rather than per connection so that Connection's header, which
// every service includes, stays as it is.
#pragma once

#include <chrono>
#include <functional>
#include <string>

#include "libs/core/status.h"

namespace mpli::bus {

// Runs on the requesting thread after each request, so it must be quick and thread-safe.
using RequestObserver = std::function<void(const std::string& subject, const Status& outcome,
                                           std::chrono::nanoseconds elapsed)>;

// Replaces the observer (nullptr: none). Safe to call while requests are made.
void set_request_observer(RequestObserver observer);

}  // namespace mpli::bus
