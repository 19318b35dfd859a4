// The gateway's Prometheus metrics (text exposition format 0.0.4): requests by route pattern,
// method and status, latency histograms by route, bus calls and their errors by service and
// code, the executors' queues, and each service's endpoint statistics as the service kit
// reports them (mpli.<service>.v1.stats). Pure: the server records, /metrics renders.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "libs/core/status.h"

namespace mpli::gateway {

// Upper bounds (seconds) of the request duration histogram.
inline constexpr std::array<double, 14> kRequestDurationBounds = {
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30};

struct ExecutorSample {
  std::string name;
  int threads = 0;
  int queue_limit = 0;
  int queued = 0;        // waiting for a thread
  int running = 0;       // on a thread now
  uint64_t refused = 0;  // answered 503 because the queue was full
};

// One service's answer to mpli.<service>.v1.stats; no stats: it did not answer in time.
struct ServiceStatsSample {
  std::string service;
  std::optional<nlohmann::json> stats;  // io.nats.micro.v1.stats_response
};

class GatewayMetrics {
 public:
  // `route`: the pattern as registered ("/v1/offerings/:id"), never the raw path, so the
  // number of series stays bounded; "" for requests no route matched.
  void record_request(const std::string& route, const std::string& method, int status,
                      std::chrono::nanoseconds duration);
  // A bus request to `subject` ("mpli.<service>.v1.<operation>") ended with `outcome`.
  void record_bus_call(const std::string& subject, const Status& outcome);

  // The gateway's own metrics.
  std::string render() const;

 private:
  struct Histogram {
    std::array<uint64_t, kRequestDurationBounds.size()> buckets{};  // not cumulative
    uint64_t count = 0;
    double sum = 0;
  };
  mutable std::mutex mutex_;
  std::map<std::tuple<std::string, std::string, int>, uint64_t> requests_;
  std::map<std::string, Histogram> durations_;
  std::map<std::string, uint64_t> bus_requests_;                        // by service
  std::map<std::pair<std::string, std::string>, uint64_t> bus_errors_;  // service, code
};

std::string render_executors(const std::vector<ExecutorSample>& executors);
// Rate limiting's own gauge: how many client buckets are kept.
std::string render_rate_limit(size_t buckets, bool enabled);
// mpli_service_up, mpli_service_requests_total, mpli_service_errors_total{code},
// mpli_service_request_duration_seconds (histogram) per service and endpoint. A stats reply
// that is not the kit's JSON is treated as a silent service.
std::string render_service_stats(const std::vector<ServiceStatsSample>& services);

// A label value escaped for the text format (backslash, double quote, line feed).
std::string escape_label_value(std::string_view value);
// A sample value: integers without a fraction, others in their shortest exact form.
std::string format_sample_value(double value);

}  // namespace mpli::gateway
