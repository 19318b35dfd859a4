// The gateway benchmark's bus side (bench/gateway/run.sh): the same requests the gateway sends
// for GET /v1/offerings?limit=20 and POST /v1/resolutions, straight on the bus, so the
// gateway's added latency is the difference. Built from the gateway's own parsers, so the
// Protobuf requests are byte for byte what the gateway would send.
//
//   mpli-bench-gateway --nats URL --op offerings|resolve [--manifest FILE] [--count N]
//                      [--concurrency C] [--warmup W]
//
// Prints one line: requests, errors, seconds, throughput (per second), p50 and p99 (ms).
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
               "[--manifest FILE] [--count N] [--concurrency C] [--warmup W]\n";
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
                                             {"--warmup", "50"}};
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
  auto one = [&]() -> bool {
    auto reply = (*bus)->request(subject, payload, timeout, bus::with_deadline({}, timeout));
    return reply.is_ok();
  };
  for (int i = 0; i < warmup; ++i) one();

  std::atomic<int> next{0};
  std::atomic<int> errors{0};
  std::mutex mutex;
  std::vector<double> latencies_ms;
  latencies_ms.reserve(static_cast<size_t>(count));
  auto started = Clock::now();
  std::vector<std::thread> threads;
  for (int t = 0; t < concurrency; ++t) {
    threads.emplace_back([&] {
      std::vector<double> mine;
      while (next.fetch_add(1) < count) {
        auto begin = Clock::now();
        if (!one()) ++errors;
        mine.push_back(std::chrono::duration<double, std::milli>(Clock::now() - begin).count());
      }
      std::lock_guard<std::mutex> lock(mutex);
      latencies_ms.insert(latencies_ms.end(), mine.begin(), mine.end());
    });
  }
  for (auto& thread : threads) thread.join();
  double seconds = std::chrono::duration<double>(Clock::now() - started).count();
  std::sort(latencies_ms.begin(), latencies_ms.end());
  std::printf("requests %d errors %d seconds %.2f throughput %.0f p50_ms %.3f p99_ms %.3f\n", count,
              errors.load(), seconds, static_cast<double>(count) / seconds,
              percentile(latencies_ms, 0.50), percentile(latencies_ms, 0.99));
  return errors.load() == 0 ? 0 : 1;
}
