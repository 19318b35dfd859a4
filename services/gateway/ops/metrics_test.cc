#include "services/gateway/ops/metrics.h"

#include <catch2/catch.hpp>

using namespace mpli::gateway;
using namespace std::chrono_literals;

namespace {
bool has_line(const std::string& text, const std::string& line) {
  return text.find("\n" + line + "\n") != std::string::npos || text.rfind(line + "\n", 0) == 0;
}
}  // namespace

TEST_CASE("label values are escaped and sample values formatted for the text format") {
  CHECK(escape_label_value("a\"b\\c\nd") == "a\\\"b\\\\c\\nd");
  CHECK(format_sample_value(3) == "3");
  CHECK(format_sample_value(0.0025) == "0.0025");
  CHECK(format_sample_value(1.0 / 0.0) == "+Inf");
}

TEST_CASE("requests are counted by route pattern, method and status, with a histogram") {
  GatewayMetrics metrics;
  metrics.record_request("/v1/offerings/:id", "GET", 200, 3ms);
  metrics.record_request("/v1/offerings/:id", "GET", 200, 40ms);
  metrics.record_request("/v1/offerings/:id", "GET", 404, 2s);
  metrics.record_request("", "GET", 404, 100us);
  std::string text = metrics.render();
  INFO(text);
  CHECK(has_line(text, "# TYPE mpli_gateway_requests_total counter"));
  CHECK(has_line(
      text,
      "mpli_gateway_requests_total{route=\"/v1/offerings/:id\",method=\"GET\",status=\"200\"} 2"));
  CHECK(has_line(
      text,
      "mpli_gateway_requests_total{route=\"/v1/offerings/:id\",method=\"GET\",status=\"404\"} 1"));
  CHECK(has_line(text, "mpli_gateway_requests_total{route=\"\",method=\"GET\",status=\"404\"} 1"));
  CHECK(has_line(text, "# TYPE mpli_gateway_request_duration_seconds histogram"));
  // Cumulative buckets: 3 ms is under 5 ms, 40 ms under 50 ms, 2 s under 2.5 s.
  CHECK(has_line(
      text,
      "mpli_gateway_request_duration_seconds_bucket{route=\"/v1/offerings/:id\",le=\"0.0025\"} 0"));
  CHECK(has_line(
      text,
      "mpli_gateway_request_duration_seconds_bucket{route=\"/v1/offerings/:id\",le=\"0.005\"} 1"));
  CHECK(has_line(
      text,
      "mpli_gateway_request_duration_seconds_bucket{route=\"/v1/offerings/:id\",le=\"0.05\"} 2"));
  CHECK(has_line(
      text,
      "mpli_gateway_request_duration_seconds_bucket{route=\"/v1/offerings/:id\",le=\"1\"} 2"));
  CHECK(has_line(
      text,
      "mpli_gateway_request_duration_seconds_bucket{route=\"/v1/offerings/:id\",le=\"2.5\"} 3"));
  CHECK(has_line(
      text,
      "mpli_gateway_request_duration_seconds_bucket{route=\"/v1/offerings/:id\",le=\"+Inf\"} 3"));
  CHECK(has_line(text,
                 "mpli_gateway_request_duration_seconds_sum{route=\"/v1/offerings/:id\"} 2.043"));
  CHECK(
      has_line(text, "mpli_gateway_request_duration_seconds_count{route=\"/v1/offerings/:id\"} 3"));
}

TEST_CASE("bus calls are counted by service, their errors by service and code") {
  GatewayMetrics metrics;
  metrics.record_bus_call("mpli.discovery.v1.list_offerings", mpli::Status::ok());
  metrics.record_bus_call("mpli.discovery.v1.get_offering", mpli::not_found("no such offering"));
  metrics.record_bus_call("mpli.resolver.v1.resolve", mpli::deadline_exceeded("late"));
  std::string text = metrics.render();
  INFO(text);
  CHECK(has_line(text, "mpli_gateway_bus_requests_total{service=\"discovery\"} 2"));
  CHECK(has_line(text, "mpli_gateway_bus_requests_total{service=\"resolver\"} 1"));
  CHECK(
      has_line(text, "mpli_gateway_bus_errors_total{service=\"discovery\",code=\"not_found\"} 1"));
  CHECK(has_line(
      text, "mpli_gateway_bus_errors_total{service=\"resolver\",code=\"deadline_exceeded\"} 1"));
}

TEST_CASE("executor load is rendered as gauges and a refusal counter") {
  std::string text = render_executors({{"quick", 8, 256, 3, 8, 12}});
  INFO(text);
  CHECK(has_line(text, "mpli_gateway_executor_queue_depth{executor=\"quick\"} 3"));
  CHECK(has_line(text, "mpli_gateway_executor_running{executor=\"quick\"} 8"));
  CHECK(has_line(text, "mpli_gateway_executor_refused_total{executor=\"quick\"} 12"));
  CHECK(has_line(text, "# TYPE mpli_gateway_executor_refused_total counter"));
}

TEST_CASE(
    "service statistics become per-endpoint series, and a silent service is down, not an error") {
  nlohmann::json stats = {
      {"type", "io.nats.micro.v1.stats_response"},
      {"name", "discovery"},
      {"id", "inst-1"},
      {"endpoints",
       {{{"name", "list_offerings"},
         {"num_requests", 5},
         {"num_errors", 1},
         {"processing_time", 7500000},
         {"data",
          {{"errors_by_code", {{"not_found", 1}}},
           {"latency_ms_histogram", {{"le_1", 2}, {"le_2.5", 1}, {"le_10", 1}, {"inf", 1}}}}}}}}};
  std::string text = render_service_stats(
      {{"discovery", stats}, {"delivery", std::nullopt}, {"trust", nlohmann::json("not stats")}});
  INFO(text);
  CHECK(has_line(text, "mpli_service_up{service=\"discovery\"} 1"));
  CHECK(has_line(text, "mpli_service_up{service=\"delivery\"} 0"));
  CHECK(has_line(text, "mpli_service_up{service=\"trust\"} 0"));
  const std::string labels =
      "service=\"discovery\",endpoint=\"list_offerings\",instance=\"inst-1\"";
  CHECK(has_line(text, "mpli_service_requests_total{" + labels + "} 5"));
  CHECK(has_line(text, "mpli_service_errors_total{" + labels + ",code=\"not_found\"} 1"));
  CHECK(has_line(text,
                 "mpli_service_request_duration_seconds_bucket{" + labels + ",le=\"0.001\"} 2"));
  CHECK(has_line(text,
                 "mpli_service_request_duration_seconds_bucket{" + labels + ",le=\"0.0025\"} 3"));
  CHECK(
      has_line(text, "mpli_service_request_duration_seconds_bucket{" + labels + ",le=\"0.01\"} 4"));
  CHECK(
      has_line(text, "mpli_service_request_duration_seconds_bucket{" + labels + ",le=\"+Inf\"} 5"));
  CHECK(has_line(text, "mpli_service_request_duration_seconds_sum{" + labels + "} 0.0075"));
  CHECK(has_line(text, "mpli_service_request_duration_seconds_count{" + labels + "} 5"));
  CHECK(text.find("delivery\",endpoint") == std::string::npos);
}
