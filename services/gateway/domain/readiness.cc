#include "services/gateway/domain/readiness.h"

#include "libs/core/services.h"

namespace mpli::gateway {

const std::vector<std::string>& hub_services() {
  static const std::vector<std::string> kServices(kServiceNames.begin(), kServiceNames.end());
  return kServices;
}

Readiness assess_readiness(const std::map<std::string, ServiceHealth>& health) {
  Readiness readiness;
  readiness.ready = true;
  nlohmann::json services = nlohmann::json::object();
  for (const auto& name : hub_services()) {
    nlohmann::json entry;
    auto it = health.find(name);
    if (it == health.end()) {
      entry = {{"status", "unknown"}};
      readiness.ready = false;
    } else if (!it->second.reachability.is_ok()) {
      entry = {{"status", "unavailable"}, {"error", it->second.reachability.message()}};
      readiness.ready = false;
    } else {
      entry = {{"status", it->second.status},
               {"checks", it->second.checks},
               {"version", it->second.version},
               {"instance", it->second.instance}};
      if (it->second.status != "ok") readiness.ready = false;
    }
    services[name] = entry;
  }
  readiness.body = {{"status", readiness.ready ? "ready" : "not_ready"}, {"services", services}};
  return readiness;
}

}  // namespace mpli::gateway
