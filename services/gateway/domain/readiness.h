// Readiness of the federation hub: the gateway is ready only when every service answers its
// health subject with status "ok". Pure logic over the replies, so it is unit-tested alone.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "libs/core/status.h"

namespace mpli::gateway {

// The services /readyz asks, in the order it reports them.
const std::vector<std::string>& hub_services();

struct ServiceHealth {
  Status reachability;  // ok when a reply came; otherwise why not (timeout, no responders)
  std::string status;   // "ok" or "degraded" (from the reply)
  std::map<std::string, std::string> checks;
  std::string version;
  std::string instance;
};

struct Readiness {
  bool ready = false;
  nlohmann::json body;  // {"status": "ready"|"not_ready", "services": {...}}
};

Readiness assess_readiness(const std::map<std::string, ServiceHealth>& health);

}  // namespace mpli::gateway
