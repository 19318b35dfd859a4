// Typed request/reply endpoints of one service process, with per-subject statistics.
// Each endpoint is one queue-group subscription feeding a bounded pool of handler threads:
// at most `concurrency` requests run at once, up to `queue_limit` more wait, and beyond that
// a request is refused at once with kBusy (503 + Retry-After at the gateway) rather than left
// to time out. Statistics follow the NATS micro-service API (io.nats.micro.v1.stats_response)
// and are answered on mpli.<service>.v1.stats and $SRV.STATS.<service>.
#pragma once

#include <google/protobuf/message.h>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "libs/bus/connection.h"
#include "libs/core/status.h"

namespace mpli::service {

// What a handler knows about the request besides its body.
struct CallContext {
  std::string subject;
  std::string correlation_id;
  const bus::Headers* headers = nullptr;
  // When the caller stops waiting (steady clock); max() when it did not say.
  std::chrono::steady_clock::time_point deadline = std::chrono::steady_clock::time_point::max();
};

struct EndpointOptions {
  int concurrency = 4;   // handlers running at once for this subject in this process
  int queue_limit = 64;  // requests that may wait when every handler is busy; more: kBusy
  std::chrono::milliseconds busy_retry_after{1000};
};

using RawHandler = std::function<Result<std::string>(const bus::Message&, const CallContext&)>;

// Per-subject counters (thread-safe).
struct EndpointStats {
  std::string name;
  std::string subject;
  uint64_t requests = 0;
  uint64_t errors = 0;
  std::map<std::string, uint64_t> errors_by_code;
  uint64_t processing_ns = 0;
  std::vector<uint64_t> latency_buckets;  // counts per kLatencyBoundsMs bucket, last = +inf
  std::string last_error;
};

// Upper bounds (ms) of the latency histogram buckets; a last bucket counts everything slower.
inline const std::vector<double>& latency_bounds_ms() {
  static const std::vector<double> kBounds = {1,   2.5, 5,    10,   25,   50,   100,
                                              250, 500, 1000, 2500, 5000, 10000};
  return kBounds;
}

class Endpoints {
 public:
  Endpoints(bus::Connection& bus, std::string service, std::string instance_id,
            std::string version);
  ~Endpoints();
  Endpoints(const Endpoints&) = delete;
  Endpoints& operator=(const Endpoints&) = delete;

  // Serves mpli.<service>.v1.<operation> in queue group <service>.
  Status serve_raw(const std::string& operation, RawHandler handler, EndpointOptions options = {});
  // Serves the statistics subjects; called once by the runtime.
  Status serve_stats();

  // The stats of every endpoint, as io.nats.micro.v1.stats_response JSON.
  nlohmann::json stats_json() const;
  std::vector<EndpointStats> stats() const;

  // Stops taking requests, then waits up to `timeout` for requests in flight and queued.
  void drain(std::chrono::milliseconds timeout);

  class Endpoint;  // defined in endpoints.cc

 private:
  bus::Connection& bus_;
  std::string service_;
  std::string instance_id_;
  std::string version_;
  std::string started_;  // RFC 3339
  mutable std::mutex mutex_;
  std::vector<std::unique_ptr<Endpoint>> endpoints_;
  std::vector<std::unique_ptr<bus::Subscription>> stats_subscriptions_;
};

// Decodes Request, runs `handler`, encodes Reply: what ServiceContext::serve wraps around a
// typed handler. Separate so it can be unit-tested without a bus.
template <typename Request, typename Reply>
RawHandler typed_handler(std::function<Result<Reply>(const Request&, const CallContext&)> handler) {
  return [handler = std::move(handler)](const bus::Message& message,
                                        const CallContext& context) -> Result<std::string> {
    Request request;
    if (!request.ParseFromString(message.data)) {
      return Status(StatusCode::kInvalidArgument, "malformed " + request.GetTypeName(),
                    {{"field", "body"}});
    }
    Result<Reply> reply = handler(request, context);
    if (!reply) return reply.status();
    std::string body;
    if (!reply->SerializeToString(&body)) {
      return internal_error("cannot serialise " + reply->GetTypeName());
    }
    return body;
  };
}

}  // namespace mpli::service
