#include "services/gateway/handlers/metrics_routes.h"

#include <map>
#include <mutex>

#include "libs/service/runtime.h"
#include "services/gateway/domain/readiness.h"
#include "services/gateway/ops/metrics.h"

namespace mpli::gateway {
namespace {

constexpr const char* kPrometheusText = "text/plain; version=0.0.4; charset=utf-8";

std::optional<nlohmann::json> ask_stats(bus::Connection& bus, const std::string& service,
                                        std::chrono::milliseconds timeout) {
  auto reply = bus.request(service::request_subject(service, "stats"), "", timeout);
  if (!reply) return std::nullopt;
  auto stats = nlohmann::json::parse(reply->data, nullptr, false);
  if (stats.is_discarded()) return std::nullopt;
  return stats;
}

// One scrape: the services' answers gathered as they come; the last one in sends the page.
class Scrape {
 public:
  Scrape(HttpServer& server, size_t services, Responder responder)
      : server_(server), waiting_(services), responder_(std::move(responder)) {}

  void record(const std::string& service, std::optional<nlohmann::json> stats) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stats_[service] = std::move(stats);
      if (--waiting_ > 0) return;
    }
    std::vector<ServiceStatsSample> samples;
    for (auto& [name, answer] : stats_) samples.push_back({name, std::move(answer)});
    std::string body =
        server_.metrics().render() + server_.render_load() + render_service_stats(samples);
    responder_.send({200, {{"Content-Type", kPrometheusText}}, std::move(body)});
  }

 private:
  HttpServer& server_;
  std::mutex mutex_;
  size_t waiting_;
  std::map<std::string, std::optional<nlohmann::json>> stats_;
  Responder responder_;
};

}  // namespace

void add_metrics_routes(HttpServer& server, bus::Connection& bus, BoundedExecutor& probes,
                        std::chrono::milliseconds service_timeout) {
  // Runs on the I/O thread, but only hands out the questions: the probes ask them.
  server.route("GET", "/metrics", {}, nullptr,
               [&server, &bus, &probes, service_timeout](const RouteRequest&, Responder responder) {
                 const auto& services = hub_services();
                 auto scrape = std::make_shared<Scrape>(server, services.size(), responder);
                 for (const auto& name : services) {
                   bool queued = probes.try_submit([scrape, name, &bus, service_timeout] {
                     scrape->record(name, ask_stats(bus, name, service_timeout));
                   });
                   if (!queued) scrape->record(name, std::nullopt);
                 }
               });
}

}  // namespace mpli::gateway
