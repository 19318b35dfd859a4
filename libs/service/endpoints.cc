#include "libs/service/endpoints.h"

#include <condition_variable>
#include <deque>
#include <optional>
#include <thread>

#include "libs/bus/call.h"
#include "libs/core/clock.h"
#include "libs/core/ids.h"
#include "libs/core/log.h"
#include "libs/service/runtime.h"

namespace mpli::service {
namespace {

using Clock = std::chrono::steady_clock;

// The caller's deadline header (Unix ms) as a steady-clock point; max() when absent or odd.
Clock::time_point deadline_of(const bus::Message& message) {
  std::string text = message.header(bus::kDeadlineHeader);
  if (text.empty()) return Clock::time_point::max();
  char* end = nullptr;
  long long unix_ms = std::strtoll(text.c_str(), &end, 10);
  if (end == text.c_str() || *end != '\0' || unix_ms <= 0) return Clock::time_point::max();
  auto now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                    std::chrono::system_clock::now().time_since_epoch())
                    .count();
  return Clock::now() + std::chrono::milliseconds(unix_ms - now_ms);
}

size_t bucket_for(double ms) {
  const auto& bounds = latency_bounds_ms();
  for (size_t i = 0; i < bounds.size(); ++i) {
    if (ms <= bounds[i]) return i;
  }
  return bounds.size();
}

}  // namespace

class Endpoints::Endpoint {
 public:
  Endpoint(bus::Connection& bus, std::string service, std::string name, std::string subject,
           RawHandler handler, EndpointOptions options)
      : bus_(bus), service_(std::move(service)), handler_(std::move(handler)), options_(options) {
    stats_.name = std::move(name);
    stats_.subject = std::move(subject);
    stats_.latency_buckets.assign(latency_bounds_ms().size() + 1, 0);
  }
  // stop() throws only where its log line's JSON literal could, which it cannot (nlohmann's
  // literal constructor; see .clang-tidy).
  // NOLINTNEXTLINE(bugprone-exception-escape)
  ~Endpoint() { stop(Clock::now()); }

  Status start(const std::string& queue_group) {
    for (int i = 0; i < std::max(1, options_.concurrency); ++i) {
      threads_.emplace_back([this] { work(); });
    }
    auto sub =
        bus_.subscribe(stats_.subject, queue_group, [this](const bus::Message& m) { enqueue(m); });
    if (!sub) return sub.status();
    subscription_ = std::move(sub).value();
    return Status::ok();
  }

  // Stops taking requests; nothing more is queued after this returns.
  void close() {
    if (subscription_) subscription_->drain(std::chrono::milliseconds(500));
    subscription_.reset();
  }
  // Lets the queue run empty (until `deadline`; what is still queued then is dropped, and its
  // callers time out), then joins the handlers.
  void stop(Clock::time_point deadline) {
    close();
    {
      std::unique_lock<std::mutex> lock(mutex_);
      idle_.wait_until(lock, deadline, [this] { return queue_.empty() && running_ == 0; });
      stopping_ = true;
      if (!queue_.empty()) {
        log::warn("dropping queued requests at shutdown",
                  {{"subject", stats_.subject}, {"count", queue_.size()}});
        queue_.clear();
      }
    }
    ready_.notify_all();
    for (auto& t : threads_) {
      if (t.joinable()) t.join();
    }
    threads_.clear();
  }

  EndpointStats stats() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return stats_;
  }

 private:
  struct Pending {
    bus::Message message;
    Clock::time_point deadline;
  };

  // On the subscription's delivery thread: queue, or refuse at once when every handler is
  // busy and queue_limit requests already wait. A request handed to an idle handler passes
  // through the queue too, so the bound counts running and queued requests together (with
  // queue_limit 0, a queue-only bound would refuse everything).
  void enqueue(const bus::Message& message) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      int capacity = std::max(1, options_.concurrency) + options_.queue_limit;
      if (!stopping_ && running_ + static_cast<int>(queue_.size()) < capacity) {
        queue_.push_back({message, deadline_of(message)});
        ready_.notify_one();
        return;
      }
    }
    Status refused =
        busy(stats_.subject + ": all " + std::to_string(options_.concurrency) +
                 " handlers busy and " + std::to_string(options_.queue_limit) + " requests waiting",
             options_.busy_retry_after);
    record(refused, 0);
    bus_.reply(message, refused,
               {{bus::kCorrelationHeader, message.header(bus::kCorrelationHeader)}}, service_);
  }

  void work() {
    while (true) {
      Pending pending;
      {
        std::unique_lock<std::mutex> lock(mutex_);
        ready_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
        if (queue_.empty()) return;  // stopping, and nothing left
        pending = std::move(queue_.front());
        queue_.pop_front();
        ++running_;
      }
      std::optional<Reply> reply = handle(pending);
      {
        std::lock_guard<std::mutex> lock(mutex_);
        --running_;
      }
      idle_.notify_all();
      // The handler is counted free before its caller can see the answer: a caller that sends
      // its next request on receipt must find the handler free (with queue_limit 0 it was
      // refused as busy now and then).
      if (reply) {
        bus_.reply(pending.message, reply->result, {{bus::kCorrelationHeader, reply->correlation}},
                   service_);
      }
    }
  }

  struct Reply {
    Result<std::string> result;
    std::string correlation;
  };

  // Runs the handler; nothing to send when the caller's deadline had already passed.
  std::optional<Reply> handle(const Pending& pending) {
    const bus::Message& request = pending.message;
    std::string correlation = request.header(bus::kCorrelationHeader);
    if (correlation.empty()) correlation = ids::new_uuid_v7();
    log::CorrelationScope scope(correlation);
    auto started = Clock::now();
    if (started >= pending.deadline) {
      // The caller gave up while this waited in the queue: do no work nobody will read.
      record(deadline_exceeded("the caller's deadline passed before a handler was free"), 0);
      return std::nullopt;
    }
    CallContext context{request.subject, correlation, &request.headers, pending.deadline};
    Result<std::string> result = internal_error("handler did not run");
    try {
      result = handler_(request, context);
    } catch (const std::exception& e) {
      log::error("request handler failed", {{"subject", request.subject}, {"error", e.what()}});
      result = internal_error("internal error");
    }
    int64_t limit = bus_.max_payload();
    if (result.is_ok() && limit > 0 && static_cast<int64_t>(result->size()) > limit - 1024) {
      // Never a silent timeout: the caller learns why, and the operator sees it.
      log::error("reply larger than the bus allows",
                 {{"subject", request.subject}, {"bytes", result->size()}, {"limit", limit}});
      result = internal_error("the reply (" + std::to_string(result->size()) +
                              " bytes) exceeds the bus payload limit (" + std::to_string(limit) +
                              " bytes)");
    }
    double ms = std::chrono::duration<double, std::milli>(Clock::now() - started).count();
    record(result.status(), ms);
    return Reply{std::move(result), std::move(correlation)};
  }

  void record(const Status& status, double ms) {
    std::lock_guard<std::mutex> lock(mutex_);
    ++stats_.requests;
    stats_.processing_ns += static_cast<uint64_t>(ms * 1e6);
    ++stats_.latency_buckets[bucket_for(ms)];
    if (!status.is_ok()) {
      ++stats_.errors;
      ++stats_.errors_by_code[std::string(status_code_name(status.code()))];
      stats_.last_error = status.to_string();
    }
  }

  bus::Connection& bus_;
  std::string service_;  // the domain of its typed errors
  RawHandler handler_;
  EndpointOptions options_;
  mutable std::mutex mutex_;
  std::condition_variable ready_;
  std::condition_variable idle_;
  std::deque<Pending> queue_;
  int running_ = 0;
  bool stopping_ = false;
  EndpointStats stats_;
  std::vector<std::thread> threads_;
  std::unique_ptr<bus::Subscription> subscription_;  // last: destroyed first
};

Endpoints::Endpoints(bus::Connection& bus, std::string service, std::string instance_id,
                     std::string version)
    : bus_(bus),
      service_(std::move(service)),
      instance_id_(std::move(instance_id)),
      version_(std::move(version)),
      started_(clock::now_rfc3339()) {}

// NOLINTNEXTLINE(bugprone-exception-escape): as ~Endpoint.
Endpoints::~Endpoints() { drain(std::chrono::milliseconds(0)); }

Status Endpoints::serve_raw(const std::string& operation, RawHandler handler,
                            EndpointOptions options) {
  auto endpoint = std::make_unique<Endpoint>(
      bus_, service_, operation, request_subject(service_, operation), std::move(handler), options);
  MPLI_RETURN_IF_ERROR(endpoint->start(service_));
  std::lock_guard<std::mutex> lock(mutex_);
  endpoints_.push_back(std::move(endpoint));
  return Status::ok();
}

Status Endpoints::serve_stats() {
  auto answer = [this](const bus::Message& m) {
    bus_.reply(m, stats_json().dump(),
               {{bus::kCorrelationHeader, m.header(bus::kCorrelationHeader)}});
  };
  // mpli.<service>.v1.stats: one instance of the queue group answers. $SRV.STATS[.<name>]: every
  // instance answers, as NATS tooling (`nats micro stats`) expects.
  for (const auto& [subject, group] : std::vector<std::pair<std::string, std::string>>{
           {request_subject(service_, "stats"), service_},
           {"$SRV.STATS", ""},
           {"$SRV.STATS." + service_, ""}}) {
    auto sub =
        group.empty() ? bus_.subscribe(subject, answer) : bus_.subscribe(subject, group, answer);
    if (!sub) return sub.status();
    stats_subscriptions_.push_back(std::move(sub).value());
  }
  return Status::ok();
}

std::vector<EndpointStats> Endpoints::stats() const {
  std::lock_guard<std::mutex> lock(mutex_);
  std::vector<EndpointStats> out;
  out.reserve(endpoints_.size());
  for (const auto& endpoint : endpoints_) out.push_back(endpoint->stats());
  return out;
}

nlohmann::json Endpoints::stats_json() const {
  nlohmann::json endpoints = nlohmann::json::array();
  for (const auto& s : stats()) {
    nlohmann::json histogram = nlohmann::json::object();
    const auto& bounds = latency_bounds_ms();
    for (size_t i = 0; i < s.latency_buckets.size(); ++i) {
      std::string key = i < bounds.size() ? "le_" + nlohmann::json(bounds[i]).dump() : "inf";
      histogram[key] = s.latency_buckets[i];
    }
    endpoints.push_back({
        {"name", s.name},
        {"subject", s.subject},
        {"queue_group", service_},
        {"num_requests", s.requests},
        {"num_errors", s.errors},
        {"last_error", s.last_error},
        {"processing_time", s.processing_ns},
        {"average_processing_time", s.requests == 0 ? 0 : s.processing_ns / s.requests},
        {"data", {{"errors_by_code", s.errors_by_code}, {"latency_ms_histogram", histogram}}},
    });
  }
  return {{"type", "io.nats.micro.v1.stats_response"},
          {"name", service_},
          {"id", instance_id_},
          {"version", version_},
          {"started", started_},
          {"endpoints", endpoints}};
}

void Endpoints::drain(std::chrono::milliseconds timeout) {
  std::vector<std::unique_ptr<Endpoint>> endpoints;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    endpoints.swap(endpoints_);
  }
  // All stop taking requests first, then each finishes what it holds.
  for (auto& endpoint : endpoints) endpoint->close();
  auto deadline = Clock::now() + timeout;
  for (auto& endpoint : endpoints) endpoint->stop(deadline);
  stats_subscriptions_.clear();
}

}  // namespace mpli::service
