#include "services/gateway/handlers/health_routes.h"

#include <future>

#include "libs/service/runtime.h"
#include "mpli/common/v1/envelope.pb.h"
#include "services/gateway/domain/readiness.h"
#include "services/gateway/http_server.h"

namespace mpli::gateway {
namespace {

ServiceHealth ask_health(bus::Connection& bus, const std::string& service,
                         std::chrono::milliseconds timeout) {
  ServiceHealth health;
  mpli::common::v1::HealthRequest request;
  auto reply = bus.request(service::request_subject(service, "health"),
                           request.SerializeAsString(), timeout);
  if (!reply) {
    health.reachability = reply.status();
    return health;
  }
  mpli::common::v1::HealthReply parsed;
  if (!parsed.ParseFromString(reply->data)) {
    health.reachability = internal_error("unreadable health reply");
    return health;
  }
  health.status = parsed.status();
  health.version = parsed.version();
  health.instance = parsed.instance();
  health.checks.insert(parsed.checks().begin(), parsed.checks().end());
  return health;
}

}  // namespace

void add_health_routes(Pistache::Rest::Router& router, bus::Connection& bus,
                       std::chrono::milliseconds per_service_timeout) {
  using Pistache::Rest::Request;
  using Pistache::Http::ResponseWriter;
  Pistache::Rest::Routes::Get(router, "/healthz", [](const Request&, ResponseWriter response) {
    send_json(response, Pistache::Http::Code::Ok, {{"status", "ok"}});
    return Pistache::Rest::Route::Result::Ok;
  });
  Pistache::Rest::Routes::Get(
      router, "/readyz", [&bus, per_service_timeout](const Request&, ResponseWriter response) {
        // Ask all services at once: /readyz costs one timeout, not five.
        std::map<std::string, std::future<ServiceHealth>> pending;
        for (const auto& name : hub_services()) {
          pending[name] = std::async(std::launch::async, ask_health, std::ref(bus), name,
                                     per_service_timeout);
        }
        std::map<std::string, ServiceHealth> health;
        for (auto& [name, future] : pending) health[name] = future.get();
        Readiness readiness = assess_readiness(health);
        send_json(response,
                  readiness.ready ? Pistache::Http::Code::Ok
                                  : Pistache::Http::Code::Service_Unavailable,
                  readiness.body);
        return Pistache::Rest::Route::Result::Ok;
      });
}

}  // namespace mpli::gateway
