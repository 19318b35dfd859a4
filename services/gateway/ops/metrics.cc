#include "services/gateway/ops/metrics.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>

namespace mpli::gateway {
namespace {

std::string labels(std::initializer_list<std::pair<std::string_view, std::string_view>> pairs) {
  std::string out = "{";
  bool first = true;
  for (const auto& [name, value] : pairs) {
    if (!first) out += ',';
    first = false;
    out += name;
    out += "=\"";
    out += escape_label_value(value);
    out += '"';
  }
  out += '}';
  return out;
}

void header(std::string& out, std::string_view name, std::string_view type, std::string_view help) {
  out += "# HELP ";
  out += name;
  out += ' ';
  out += help;
  out += "\n# TYPE ";
  out += name;
  out += ' ';
  out += type;
  out += '\n';
}

void sample(std::string& out, std::string_view name, const std::string& label_text, double value) {
  out += name;
  out += label_text;
  out += ' ';
  out += format_sample_value(value);
  out += '\n';
}

// "mpli.discovery.v1.list_offerings" -> "discovery"; other subjects as they are.
std::string service_of(const std::string& subject) {
  constexpr std::string_view kPrefix = "mpli.";
  if (subject.compare(0, kPrefix.size(), kPrefix) != 0) return subject;
  size_t end = subject.find('.', kPrefix.size());
  return subject.substr(kPrefix.size(), end == std::string::npos ? end : end - kPrefix.size());
}

std::string le_text(double bound) { return format_sample_value(bound); }

uint64_t number_or_zero(const nlohmann::json& object, const char* key) {
  if (!object.is_object() || !object.contains(key) || !object[key].is_number()) return 0;
  return object[key].get<uint64_t>();
}

}  // namespace

std::string escape_label_value(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string format_sample_value(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  if (value == std::floor(value) && std::fabs(value) < 1e15) {
    return std::to_string(static_cast<long long>(value));
  }
  char buffer[32];
  auto result = std::to_chars(buffer, buffer + sizeof(buffer), value);
  return std::string(buffer, result.ptr);
}

void GatewayMetrics::record_request(const std::string& route, const std::string& method, int status,
                                    std::chrono::nanoseconds duration) {
  double seconds = std::chrono::duration<double>(duration).count();
  std::lock_guard<std::mutex> lock(mutex_);
  ++requests_[{route, method, status}];
  Histogram& histogram = durations_[route];
  size_t i = 0;
  while (i < kRequestDurationBounds.size() && seconds > kRequestDurationBounds[i]) ++i;
  if (i < kRequestDurationBounds.size()) ++histogram.buckets[i];
  ++histogram.count;
  histogram.sum += seconds;
}

void GatewayMetrics::record_bus_call(const std::string& subject, const Status& outcome) {
  std::string service = service_of(subject);
  std::lock_guard<std::mutex> lock(mutex_);
  ++bus_requests_[service];
  if (!outcome.is_ok()) ++bus_errors_[{service, std::string(status_code_name(outcome.code()))}];
}

std::string GatewayMetrics::render() const {
  std::lock_guard<std::mutex> lock(mutex_);
  std::string out;
  header(out, "mpli_gateway_requests_total", "counter",
         "HTTP requests answered, by route pattern, method and status");
  for (const auto& [key, count] : requests_) {
    const auto& [route, method, status] = key;
    std::string status_text = std::to_string(status);
    sample(out, "mpli_gateway_requests_total",
           labels({{"route", route}, {"method", method}, {"status", status_text}}),
           static_cast<double>(count));
  }
  header(out, "mpli_gateway_request_duration_seconds", "histogram",
         "time from a complete request to its answer's last byte handed to the socket, by route");
  for (const auto& [route, histogram] : durations_) {
    uint64_t cumulative = 0;
    for (size_t i = 0; i < kRequestDurationBounds.size(); ++i) {
      cumulative += histogram.buckets[i];
      sample(out, "mpli_gateway_request_duration_seconds_bucket",
             labels({{"route", route}, {"le", le_text(kRequestDurationBounds[i])}}),
             static_cast<double>(cumulative));
    }
    sample(out, "mpli_gateway_request_duration_seconds_bucket",
           labels({{"route", route}, {"le", "+Inf"}}), static_cast<double>(histogram.count));
    sample(out, "mpli_gateway_request_duration_seconds_sum", labels({{"route", route}}),
           histogram.sum);
    sample(out, "mpli_gateway_request_duration_seconds_count", labels({{"route", route}}),
           static_cast<double>(histogram.count));
  }
  header(out, "mpli_gateway_bus_requests_total", "counter",
         "requests the gateway sent to services on the bus, by service");
  for (const auto& [service, count] : bus_requests_) {
    sample(out, "mpli_gateway_bus_requests_total", labels({{"service", service}}),
           static_cast<double>(count));
  }
  header(out, "mpli_gateway_bus_errors_total", "counter",
         "bus requests that failed, by service and code (deadline_exceeded: no reply in time; "
         "unavailable: nobody answers; others: the service's typed error)");
  for (const auto& [key, count] : bus_errors_) {
    sample(out, "mpli_gateway_bus_errors_total",
           labels({{"service", key.first}, {"code", key.second}}), static_cast<double>(count));
  }
  return out;
}

std::string render_executors(const std::vector<ExecutorSample>& executors) {
  std::string out;
  header(out, "mpli_gateway_executor_queue_depth", "gauge",
         "requests waiting for a thread of the executor");
  for (const auto& e : executors) {
    sample(out, "mpli_gateway_executor_queue_depth", labels({{"executor", e.name}}), e.queued);
  }
  header(out, "mpli_gateway_executor_running", "gauge", "requests on the executor's threads now");
  for (const auto& e : executors) {
    sample(out, "mpli_gateway_executor_running", labels({{"executor", e.name}}), e.running);
  }
  header(out, "mpli_gateway_executor_threads", "gauge", "threads of the executor");
  for (const auto& e : executors) {
    sample(out, "mpli_gateway_executor_threads", labels({{"executor", e.name}}), e.threads);
  }
  header(out, "mpli_gateway_executor_queue_limit", "gauge",
         "requests that may wait for the executor; more are refused");
  for (const auto& e : executors) {
    sample(out, "mpli_gateway_executor_queue_limit", labels({{"executor", e.name}}), e.queue_limit);
  }
  header(out, "mpli_gateway_executor_refused_total", "counter",
         "requests refused (503) because the executor's queue was full");
  for (const auto& e : executors) {
    sample(out, "mpli_gateway_executor_refused_total", labels({{"executor", e.name}}),
           static_cast<double>(e.refused));
  }
  return out;
}

std::string render_rate_limit(size_t buckets, bool enabled) {
  std::string out;
  header(out, "mpli_gateway_rate_limit_enabled", "gauge",
         "1 when per-client rate limits are applied");
  sample(out, "mpli_gateway_rate_limit_enabled", "", enabled ? 1 : 0);
  header(out, "mpli_gateway_rate_limit_buckets", "gauge",
         "clients (token hashes or addresses) whose request rate is being tracked");
  sample(out, "mpli_gateway_rate_limit_buckets", "", static_cast<double>(buckets));
  return out;
}

std::string render_service_stats(const std::vector<ServiceStatsSample>& services) {
  std::string up;
  std::string requests;
  std::string errors;
  std::string durations;
  header(up, "mpli_service_up", "gauge",
         "1 when the service answered its statistics request in time, else 0");
  header(requests, "mpli_service_requests_total", "counter",
         "requests a service instance handled, by endpoint (from the service kit)");
  header(errors, "mpli_service_errors_total", "counter",
         "requests a service instance answered with an error, by endpoint and code");
  header(durations, "mpli_service_request_duration_seconds", "histogram",
         "time a service instance took per request, by endpoint");
  for (const auto& service : services) {
    const nlohmann::json* stats = service.stats ? &*service.stats : nullptr;
    bool usable = stats != nullptr && stats->is_object() && stats->contains("endpoints") &&
                  (*stats)["endpoints"].is_array();
    sample(up, "mpli_service_up", labels({{"service", service.service}}), usable ? 1 : 0);
    if (!usable) continue;
    std::string instance = stats->value("id", "");
    for (const auto& endpoint : (*stats)["endpoints"]) {
      if (!endpoint.is_object()) continue;
      std::string name = endpoint.value("name", "");
      auto base = [&](std::initializer_list<std::pair<std::string_view, std::string_view>> more) {
        std::vector<std::pair<std::string_view, std::string_view>> all = {
            {"service", service.service}, {"endpoint", name}, {"instance", instance}};
        all.insert(all.end(), more.begin(), more.end());
        std::string out = "{";
        for (size_t i = 0; i < all.size(); ++i) {
          out += (i ? "," : "") + std::string(all[i].first) + "=\"" +
                 escape_label_value(all[i].second) + "\"";
        }
        return out + "}";
      };
      uint64_t count = number_or_zero(endpoint, "num_requests");
      sample(requests, "mpli_service_requests_total", base({}), static_cast<double>(count));
      const nlohmann::json* data = endpoint.contains("data") ? &endpoint["data"] : nullptr;
      if (data != nullptr && data->is_object() && data->contains("errors_by_code") &&
          (*data)["errors_by_code"].is_object()) {
        for (const auto& [code, n] : (*data)["errors_by_code"].items()) {
          if (!n.is_number()) continue;
          sample(errors, "mpli_service_errors_total", base({{"code", code}}), n.get<double>());
        }
      }
      // The kit counts per bucket ("le_2.5": requests between 1 and 2.5 ms, "inf": slower);
      // Prometheus wants cumulative counts with bounds in seconds.
      std::vector<std::pair<double, uint64_t>> buckets;
      if (data != nullptr && data->is_object() && data->contains("latency_ms_histogram") &&
          (*data)["latency_ms_histogram"].is_object()) {
        for (const auto& [key, n] : (*data)["latency_ms_histogram"].items()) {
          if (!n.is_number_unsigned() && !n.is_number_integer()) continue;
          if (key.rfind("le_", 0) != 0) continue;  // "inf" is the count's remainder
          char* end = nullptr;
          double ms = std::strtod(key.c_str() + 3, &end);
          if (end == key.c_str() + 3) continue;
          buckets.emplace_back(ms / 1000.0, n.get<uint64_t>());
        }
      }
      std::sort(buckets.begin(), buckets.end());
      uint64_t cumulative = 0;
      for (const auto& [bound, n] : buckets) {
        cumulative += n;
        sample(durations, "mpli_service_request_duration_seconds_bucket",
               base({{"le", format_sample_value(bound)}}), static_cast<double>(cumulative));
      }
      sample(durations, "mpli_service_request_duration_seconds_bucket", base({{"le", "+Inf"}}),
             static_cast<double>(count));
      sample(durations, "mpli_service_request_duration_seconds_sum", base({}),
             static_cast<double>(number_or_zero(endpoint, "processing_time")) / 1e9);
      sample(durations, "mpli_service_request_duration_seconds_count", base({}),
             static_cast<double>(count));
    }
  }
  return up + requests + errors + durations;
}

}  // namespace mpli::gateway
