// Typed requests: call<Reply>(bus, subject, request, deadline) sends a Protobuf request and
// returns the parsed Reply, or the Status the service answered (a typed error reply), a
// deadline, or "nobody answers". The counterpart of service::ServiceContext::serve.
#pragma once

#include <google/protobuf/message.h>

#include <chrono>
#include <string>

#include "libs/bus/connection.h"

namespace mpli::bus {

// Header carrying the caller's deadline (Unix milliseconds), so a service skips requests whose
// caller has already given up instead of doing work nobody will read.
inline constexpr const char* kDeadlineHeader = "Mpli-Deadline";

Headers with_deadline(const Headers& headers, std::chrono::milliseconds timeout);

template <typename Reply>
Result<Reply> call(Connection& bus, const std::string& subject,
                   const google::protobuf::Message& request, std::chrono::milliseconds deadline,
                   const Headers& headers = {}) {
  std::string body;
  if (!request.SerializeToString(&body)) {
    return internal_error("cannot serialise " + request.GetTypeName());
  }
  auto reply = bus.request(subject, body, deadline, with_deadline(headers, deadline));
  if (!reply) return reply.status();
  Reply parsed;
  if (!parsed.ParseFromString(reply->data)) {
    return internal_error("unreadable " + parsed.GetTypeName() + " from " + subject);
  }
  return parsed;
}

}  // namespace mpli::bus
