// Plain message values that cross the bus wrapper: no nats.c types leak past libs/bus.
#pragma once

#include <map>
#include <string>

namespace mpli::bus {

// Header names MPLI sets on the bus.
inline constexpr const char* kCorrelationHeader = "Mpli-Correlation-Id";
inline constexpr const char* kStatusHeader = "Mpli-Status";  // "error" on a typed error reply
inline constexpr const char* kMsgIdHeader = "Nats-Msg-Id";   // JetStream duplicate detection

using Headers = std::map<std::string, std::string>;

struct Message {
  std::string subject;
  std::string reply_to;
  std::string data;
  Headers headers;

  std::string header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? std::string() : it->second;
  }
};

}  // namespace mpli::bus
