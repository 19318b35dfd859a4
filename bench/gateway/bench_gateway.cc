// The gateway benchmark's bus side (bench/gateway/run.sh): the same requests the gateway sends
// for GET /v1/offerings?limit=20 and POST /v1/resolutions, straight on the bus, so the
// gateway's added latency is the difference. Built from the gateway's own parsers, so the
// Protobuf requests are byte for byte what the gateway would send.
//
//   mpli-bench-gateway --nats URL --op offerings|resolve [--manifest FILE] [--count N]
//                      [--concurrency C] [--warmup W] [--gateway URL [--token T]]
//
// Prints one line: requests, errors, seconds, throughput (per second), p50 and p99 (ms).
//
// With --gateway, each client sends every request twice, once through the gateway (HTTP, one
// kept-alive connection) and once on the bus, alternating which goes first, and the line goes
// on with the gateway's p50 and p99 and the p50 and p99 of the per-pair difference (gateway
// minus bus): both halves of a pair meet the same service in the same state, so the difference
// is the gateway's own cost even where the service's time drifts from minute to minute.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "libs/bus/call.h"
#include "libs/bus/connection.h"
#include "libs/http/client.h"
#include "mpli/discovery/v1/discovery.pb.h"
#include "mpli/resolver/v1/resolver.pb.h"
#include "services/gateway/domain/offering_query.h"
#include "services/gateway/domain/resolution_json.h"

namespace {

using namespace mpli;
using Clock = std::chrono::steady_clock;

int usage(const std::string& why) {
  std::cerr << why
            << "\nusage: mpli-bench-gateway --nats URL --op offerings|resolve "
               "[--manifest FILE] [--count N] [--concurrency C] [--warmup W] "
               "[--gateway URL [--token T]]\n";
  return 2;
}

double percentile(std::vector<double> sorted, double p) {
  if (sorted.empty()) return 0;
  size_t index = static_cast<size_t>(p * static_cast<double>(sorted.size() - 1) + 0.5);
  return sorted[std::min(index, sorted.size() - 1)];
}

}  // namespace

int main(int argc, char** argv) {
  std::map<std::string, std::string> args = {{"--nats", "nats://127.0.0.1:4222"},
                                             {"--op", ""},
                                             {"--manifest", ""},
                                             {"--count", "1000"},
                                             {"--concurrency", "1"},
                                             {"--warmup", "50"},
                                             {"--gateway", ""},
                                             {"--token", ""}};
  for (int i = 1; i < argc; i += 2) {
    std::string key = argv[i];
    if (args.count(key) == 0 || i + 1 >= argc) return usage("unknown or incomplete option " + key);
    args[key] = argv[i + 1];
  }
  const std::string op = args["--op"];
  const int count = std::stoi(args["--count"]);
  const int concurrency = std::max(1, std::stoi(args["--concurrency"]));
  const int warmup = std::stoi(args["--warmup"]);

  std::string subject;
  std::string payload;
  std::chrono::milliseconds timeout{5000};
  // The gateway's side of the pair: method, URL and body of the same request.
  const std::string gateway = args["--gateway"];
  std::string http_method = "GET";
  std::string http_url = gateway + "/v1/offerings?limit=20";
  std::string http_body;
  std::vector<std::string> http_headers;
  if (!args["--token"].empty()) http_headers.push_back("Authorization: Bearer " + args["--token"]);
  if (op == "offerings") {
    auto filter = gateway::parse_offering_query({{"limit", "20"}});
    if (!filter) return usage(filter.status().to_string());
    subject = "mpli.discovery.v1.list_offerings";
    filter->SerializeToString(&payload);
  } else if (op == "resolve") {
    std::ifstream in(args["--manifest"]);
    if (!in) return usage("--manifest: cannot read " + args["--manifest"]);
    std::stringstream text;
    text << in.rdbuf();
    auto request = gateway::resolve_request_from_turtle(text.str(), {});
    if (!request) return usage(request.status().to_string());
    subject = "mpli.resolver.v1.resolve";
    request->SerializeToString(&payload);
    timeout = std::chrono::milliseconds(30000);
    http_method = "POST";
    http_url = gateway + "/v1/resolutions";
    http_body = text.str();
    http_headers.push_back("Content-Type: text/turtle");
  } else {
    return usage("--op must be offerings or resolve");
  }

  bus::ConnectOptions options;
  options.url = args["--nats"];
  options.name = "mpli-bench-gateway";
  auto bus = bus::Connection::connect(options);
  if (!bus) return usage(bus.status().to_string());
  if (auto connected = (*bus)->wait_connected(std::chrono::seconds(10)); !connected.is_ok()) {
    return usage(connected.to_string());
  }
  auto on_bus = [&]() -> bool {
    auto reply = (*bus)->request(subject, payload, timeout, bus::with_deadline({}, timeout));
    return reply.is_ok();
  };
  auto on_gateway = [&](http::Session& session) -> bool {
    auto response = session.request(http_method, http_url, http_body, http_headers, timeout);
    return response.status >= 200 && response.status < 300;
  };
  auto elapsed_ms = [](Clock::time_point since) {
    return std::chrono::duration<double, std::milli>(Clock::now() - since).count();
  };
  const bool paired = !gateway.empty();
  {
    http::Session session;
    for (int i = 0; i < warmup; ++i) {
      on_bus();
      if (paired && !on_gateway(session)) return usage("the gateway refused " + http_url);
    }
  }

  std::atomic<int> next{0};
  std::atomic<int> errors{0};
  std::mutex mutex;
  std::vector<double> bus_ms;
  std::vector<double> gateway_ms;
  std::vector<double> added_ms;
  auto started = Clock::now();
  std::vector<std::thread> threads;
  for (int t = 0; t < concurrency; ++t) {
    threads.emplace_back([&] {
      http::Session session;
      std::vector<double> mine_bus;
      std::vector<double> mine_gateway;
      std::vector<double> mine_added;
      for (int i = next.fetch_add(1); i < count; i = next.fetch_add(1)) {
        double bus_time = 0;
        double gateway_time = 0;
        // Alternate the order, so neither side always meets the service right after the other.
        for (int half = 0; half < (paired ? 2 : 1); ++half) {
          bool gateway_turn = paired && (half == 0) == (i % 2 == 0);
          auto begin = Clock::now();
          bool ok = gateway_turn ? on_gateway(session) : on_bus();
          if (!ok) ++errors;
          (gateway_turn ? gateway_time : bus_time) = elapsed_ms(begin);
        }
        mine_bus.push_back(bus_time);
        if (paired) {
          mine_gateway.push_back(gateway_time);
          mine_added.push_back(gateway_time - bus_time);
        }
      }
      std::lock_guard<std::mutex> lock(mutex);
      bus_ms.insert(bus_ms.end(), mine_bus.begin(), mine_bus.end());
      gateway_ms.insert(gateway_ms.end(), mine_gateway.begin(), mine_gateway.end());
      added_ms.insert(added_ms.end(), mine_added.begin(), mine_added.end());
    });
  }
  for (auto& thread : threads) thread.join();
  double seconds = std::chrono::duration<double>(Clock::now() - started).count();
  for (auto* series : {&bus_ms, &gateway_ms, &added_ms}) std::sort(series->begin(), series->end());
  std::printf("requests %d errors %d seconds %.2f throughput %.0f p50_ms %.3f p99_ms %.3f", count,
              errors.load(), seconds, static_cast<double>(count) / seconds,
              percentile(bus_ms, 0.50), percentile(bus_ms, 0.99));
  if (paired) {
    std::printf(" gateway_p50_ms %.3f gateway_p99_ms %.3f added_p50_ms %.3f added_p99_ms %.3f",
                percentile(gateway_ms, 0.50), percentile(gateway_ms, 0.99),
                percentile(added_ms, 0.50), percentile(added_ms, 0.99));
  }
  std::printf("\n");
  return errors.load() == 0 ? 0 : 1;
}
