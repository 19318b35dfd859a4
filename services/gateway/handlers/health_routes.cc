#include "services/gateway/handlers/health_routes.h"

#include <map>
#include <mutex>

#include "libs/bus/call.h"
#include "libs/service/runtime.h"
#include "mpli/common/v1/envelope.pb.h"
#include "services/gateway/domain/readiness.h"

namespace mpli::gateway {
namespace {

constexpr const char* kJson = "application/json";

ServiceHealth ask_health(bus::Connection& bus, const std::string& service,
                         std::chrono::milliseconds timeout) {
  ServiceHealth health;
  auto reply = bus::call<mpli::common::v1::HealthReply>(
      bus, service::request_subject(service, "health"), mpli::common::v1::HealthRequest(), timeout);
  if (!reply) {
    health.reachability = reply.status();
    return health;
  }
  health.status = reply->status();
  health.version = reply->version();
  health.instance = reply->instance();
  health.checks.insert(reply->checks().begin(), reply->checks().end());
  return health;
}

// One /readyz: the answers gathered as they come; the last one in sends the response, so no
// thread waits for the others.
class ReadinessRound {
 public:
  ReadinessRound(size_t services, Responder responder)
      : waiting_(services), responder_(std::move(responder)) {}

  void record(const std::string& service, ServiceHealth health) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      health_[service] = std::move(health);
      if (--waiting_ > 0) return;
    }
    Readiness readiness = assess_readiness(health_);
    responder_.send_json(readiness.ready ? 200 : 503, readiness.body);
  }

 private:
  std::mutex mutex_;
  size_t waiting_;
  std::map<std::string, ServiceHealth> health_;
  Responder responder_;
};

}  // namespace

void add_health_routes(HttpServer& server, bus::Connection& bus, BoundedExecutor& probes,
                       std::chrono::milliseconds per_service_timeout) {
  server.route("GET", "/healthz", {kJson}, nullptr, [](const RouteRequest&, Responder responder) {
    responder.send_json(200, {{"status", "ok"}});
  });
  // Runs on the I/O thread, but only hands out the questions: the probes ask them.
  server.route("GET", "/readyz", {kJson}, nullptr,
               [&bus, &probes, per_service_timeout](const RouteRequest&, Responder responder) {
                 const auto& services = hub_services();
                 auto round = std::make_shared<ReadinessRound>(services.size(), responder);
                 for (const auto& name : services) {
                   bool queued = probes.try_submit([round, name, &bus, per_service_timeout] {
                     round->record(name, ask_health(bus, name, per_service_timeout));
                   });
                   if (!queued) {
                     ServiceHealth unasked;
                     unasked.reachability =
                         busy("too many readiness probes at once", std::chrono::seconds(1));
                     round->record(name, std::move(unasked));
                   }
                 }
               });
}

}  // namespace mpli::gateway
