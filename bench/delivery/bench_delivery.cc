// Delivery benchmark: ORDERS orders for an offering fulfilled by an exec worker whose script
// returns at once, from create_order to the order's `active` event. Starts its own nats-server
// and PostgreSQL under a state directory, mpli-discovery, mpli-delivery and mpli-worker-exec,
// registers the Polderstack example with its object storage bound to the instant script, then
// places the orders from CONCURRENCY client threads.
//
//   mpli-bench-delivery --state DIR [--orders 1000] [--concurrency 16] [--worker-concurrency 8]
//                       [--nats-port 19291] [--postgres-port 19292] [--postgres socket|tcp]
//
// Prints: orders, failures, seconds, orders per second (first request to last active), the
// request-to-active latency p50/p99, the script's own run time p50 (spawned the same way,
// measured here), and the delivery overhead p50/p99 (latency minus the script's p50). A second
// line gives the CPU time each program took per order while the orders ran (user + system, from
// /proc, children it reaped included): on a shared machine that moves much less than orders per
// second, and it says where the time goes.
#include <dirent.h>
#include <fcntl.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

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
#include "libs/process/child_process.h"
#include "libs/process/local_servers.h"
#include "mpli/common/v1/envelope.pb.h"
#include "mpli/delivery/v1/delivery.pb.h"
#include "mpli/discovery/v1/discovery.pb.h"

extern char** environ;

namespace {

using namespace mpli;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
namespace dv1 = mpli::delivery::v1;

int usage(const std::string& why) {
  std::cerr << why
            << "\nusage: mpli-bench-delivery --state DIR [--orders N] [--concurrency C] "
               "[--worker-concurrency W] [--nats-port P] [--postgres-port P] "
               "[--postgres socket|tcp]\n";
  return 2;
}

double percentile(std::vector<double> values, double p) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  size_t index = static_cast<size_t>(p * static_cast<double>(values.size() - 1) + 0.5);
  return values[std::min(index, values.size() - 1)];
}

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

void write_file(const std::string& path, const std::string& text, mode_t mode) {
  {
    std::ofstream out(path, std::ios::trunc);
    out << text;
  }
  ::chmod(path.c_str(), mode);
}

// The script's own cost, spawned as the exec worker spawns it (sh, stdin piped from /dev/null).
double script_run_ms(const std::string& script, int runs) {
  std::vector<double> times;
  for (int i = 0; i < runs; ++i) {
    auto start = Clock::now();
    pid_t pid = 0;
    std::vector<char*> argv = {const_cast<char*>(script.c_str()), nullptr};
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
    if (posix_spawn(&pid, script.c_str(), &actions, nullptr, argv.data(), environ) == 0) {
      int status = 0;
      waitpid(pid, &status, 0);
    }
    posix_spawn_file_actions_destroy(&actions);
    times.push_back(std::chrono::duration<double, std::milli>(Clock::now() - start).count());
  }
  return percentile(times, 0.5);
}

// CPU seconds (user + system, with the children each has reaped) of every process below `root`,
// summed by program name (comm). A PostgreSQL backend counts under "postgres", the exec worker's
// scripts under the worker once it has reaped them.
std::map<std::string, double> cpu_by_program(pid_t root) {
  struct Proc {
    pid_t parent = 0;
    std::string comm;
    double seconds = 0;
  };
  std::map<pid_t, Proc> procs;
  const double ticks = static_cast<double>(::sysconf(_SC_CLK_TCK));
  DIR* dir = ::opendir("/proc");
  if (dir == nullptr) return {};
  while (dirent* entry = ::readdir(dir)) {
    pid_t pid = static_cast<pid_t>(std::atoi(entry->d_name));
    if (pid <= 0) continue;
    std::string stat = read_file("/proc/" + std::to_string(pid) + "/stat");
    size_t open = stat.find('(');
    size_t close = stat.rfind(')');
    if (open == std::string::npos || close == std::string::npos) continue;
    std::istringstream fields(stat.substr(close + 2));
    std::vector<std::string> f;
    for (std::string field; fields >> field && f.size() < 15;) f.push_back(field);
    if (f.size() < 15) continue;
    // After the comm: state(0) ppid(1) ... utime(11) stime(12) cutime(13) cstime(14).
    Proc proc;
    proc.parent = static_cast<pid_t>(std::stol(f[1]));
    proc.comm = stat.substr(open + 1, close - open - 1);
    proc.seconds =
        (std::stod(f[11]) + std::stod(f[12]) + std::stod(f[13]) + std::stod(f[14])) / ticks;
    procs[pid] = proc;
  }
  ::closedir(dir);
  std::map<std::string, double> out;
  for (const auto& [pid, proc] : procs) {
    for (pid_t at = pid; at > 1; at = procs.count(at) ? procs[at].parent : 0) {
      if (at == root) {
        if (pid != root) out[proc.comm] += proc.seconds;
        break;
      }
    }
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  std::map<std::string, std::string> args = {
      {"--state", ""},          {"--orders", "1000"},
      {"--concurrency", "16"},  {"--worker-concurrency", "8"},
      {"--nats-port", "19291"}, {"--postgres-port", "19292"},
      {"--postgres", "socket"}};
  for (int i = 1; i < argc; i += 2) {
    std::string key = argv[i];
    if (args.count(key) == 0 || i + 1 >= argc) return usage("unknown or incomplete option " + key);
    args[key] = argv[i + 1];
  }
  const std::string state = args["--state"];
  if (state.empty()) return usage("--state is required");
  const int orders = std::stoi(args["--orders"]);
  const int concurrency = std::max(1, std::stoi(args["--concurrency"]));
  const std::string bin = MPLI_BIN_DIR;
  ::mkdir(state.c_str(), 0755);  // PostgreSQL runs as postgres when we are root
  const std::string scripts = state + "/scripts";
  ::mkdir(scripts.c_str(), 0700);
  write_file(scripts + "/instant.sh",
             "#!/bin/sh\ncat > /dev/null\necho '{\"outputs\":{\"bucket\":\"b\"}}'\n", 0755);

  process::NatsServerOptions nats_options;
  nats_options.state_dir = state + "/nats";
  nats_options.port = std::stoi(args["--nats-port"]);
  auto nats = process::NatsServer::start(nats_options, 30s);
  if (!nats) return usage("nats-server: " + nats.status().to_string());
  process::PostgresOptions pg_options;
  pg_options.data_dir = state + "/postgres/data";
  // The socket goes in a short private directory of its own (libs/process): a deep checkout works.
  pg_options.port = std::stoi(args["--postgres-port"]);
  auto postgres = process::PostgresServer::start(pg_options, 60s);
  if (!postgres) return usage("postgres: " + postgres.status().to_string());
  write_file(state + "/delivery.key", std::string(64, 'b'), 0600);

  std::map<std::string, std::string> env = {
      {"MPLI_NATS_URL", nats->url()},
      // As `mpli up` connects its services: over the Unix socket (or 127.0.0.1 with tcp).
      {"MPLI_DATABASE_URL", args["--postgres"] == "tcp" ? postgres->dsn() : postgres->socket_dsn()},
      {"MPLI_DELIVERY_SECRET_KEY_FILE", state + "/delivery.key"},
      {"MPLI_LOG_LEVEL", "warn"},
      {"MPLI_HANDLERS_CONCURRENCY", "16"},
      {"MPLI_HANDLERS_QUEUE_LIMIT", "1000"}};
  std::vector<std::unique_ptr<process::ChildProcess>> children;
  auto start = [&](const std::string& binary, std::vector<std::string> binary_args) {
    process::Spec spec;
    spec.program = bin + "/" + binary;
    spec.args = std::move(binary_args);
    spec.environment = env;
    spec.output_file = state + "/" + binary + ".log";
    auto child = process::ChildProcess::spawn(spec);
    if (!child) {
      std::cerr << binary << ": " << child.status().to_string() << "\n";
      std::exit(1);
    }
    children.push_back(std::make_unique<process::ChildProcess>(std::move(child).value()));
  };
  start("mpli-discovery", {});
  start("mpli-delivery", {});
  start("mpli-worker-exec",
        {"--nats-url", nats->url(), "--provider", "polderstack", "--state-dir", state + "/worker",
         "--script-dir", scripts, "--concurrency", args["--worker-concurrency"]});

  bus::ConnectOptions options;
  options.url = nats->url();
  auto bus = bus::Connection::connect(options);
  if (!bus) return usage("bus: " + bus.status().to_string());
  for (const char* service : {"discovery", "delivery"}) {
    auto until = Clock::now() + 60s;
    for (;;) {
      auto reply = (*bus)->request(std::string("mpli.") + service + ".v1.health", "", 1s);
      common::v1::HealthReply health;
      if (reply.is_ok() && health.ParseFromString(reply->data) && health.status() == "ok") break;
      if (Clock::now() > until) return usage(std::string(service) + " did not become healthy");
      std::this_thread::sleep_for(100ms);
    }
  }

  // The Polderstack example, its object storage bound to the instant script.
  std::string manifest =
      read_file(std::string(MPLI_SOURCE_DIR) + "/ontology/examples/provider-polderstack-nl.ttl");
  const std::string artifact = "libexec/s3-bucket";
  size_t at = manifest.find(artifact);
  if (at == std::string::npos) return usage("the Polderstack example changed: no " + artifact);
  manifest.replace(at, artifact.size(), "instant.sh");
  discovery::v1::RegisterProviderRequest register_request;
  register_request.set_manifest_turtle(manifest);
  auto registered = bus::call<discovery::v1::RegisterProviderReply>(
      **bus, "mpli.discovery.v1.register_provider", register_request, 30s);
  if (!registered) return usage("register: " + registered.status().to_string());
  discovery::v1::OfferingFilter filter;
  filter.set_provider_id("polderstack");
  filter.set_kind("ObjectStorage");
  auto offerings = bus::call<discovery::v1::ListOfferingsReply>(
      **bus, "mpli.discovery.v1.list_offerings", filter, 10s);
  if (!offerings || offerings->offerings_size() == 0) return usage("no object storage offering");
  const std::string offering = offerings->offerings(0).id();

  // When each order turned active: the order_changed events (a plain subscription sees them).
  std::mutex mutex;
  std::map<std::string, Clock::time_point> requested;
  std::map<std::string, Clock::time_point> activated;
  std::atomic<int> failures{0};
  auto events =
      (*bus)->subscribe("mpli.events.delivery.v1.order_changed", [&](const bus::Message& message) {
        auto now = Clock::now();
        common::v1::Envelope envelope;
        dv1::OrderChanged changed;
        if (!envelope.ParseFromString(message.data) ||
            !changed.ParseFromString(envelope.payload())) {
          return;
        }
        std::lock_guard lock(mutex);
        if (changed.to() == "active") {
          activated.emplace(changed.order_id(), now);
        } else if (changed.to() == "failed" || changed.to() == "rejected") {
          ++failures;
        }
      });
  if (!events) return usage("subscribe: " + events.status().to_string());

  auto place = [&](int index) {
    dv1::CreateOrderRequest request;
    request.set_tenant("bench");
    request.set_idempotency_key("bench-" + std::to_string(index));
    request.set_offering_id(offering);
    auto sent = Clock::now();
    auto reply =
        bus::call<dv1::CreateOrderReply>(**bus, "mpli.delivery.v1.create_order", request, 30s);
    if (!reply) {
      ++failures;
      std::cerr << "create_order: " << reply.status().to_string() << "\n";
      return;
    }
    std::lock_guard lock(mutex);
    requested.emplace(reply->order().id(), sent);
  };
  // Warm-up: a few orders first (consumer creation, connections, caches).
  for (int i = 0; i < 10; ++i) place(-1 - i);
  std::this_thread::sleep_for(1s);
  {
    std::lock_guard lock(mutex);
    requested.clear();
    activated.clear();
    failures = 0;
  }

  std::cerr << "placing " << orders << " orders from " << concurrency << " clients" << std::endl;
  const auto cpu_before = cpu_by_program(::getpid());
  auto first = Clock::now();
  std::atomic<int> next{0};
  std::vector<std::thread> clients;
  for (int c = 0; c < concurrency; ++c) {
    clients.emplace_back([&] {
      for (int i = next++; i < orders; i = next++) place(i);
    });
  }
  for (auto& client : clients) client.join();
  const double requests_seconds = std::chrono::duration<double>(Clock::now() - first).count();
  auto until = Clock::now() + 300s;
  for (;;) {
    {
      std::lock_guard lock(mutex);
      size_t done = 0;
      for (const auto& [id, at_request] : requested) done += activated.count(id);
      if (done + static_cast<size_t>(failures.load()) >= static_cast<size_t>(orders)) break;
    }
    if (Clock::now() > until) {
      std::cerr << "not every order became active within 300 s\n";
      break;
    }
    std::this_thread::sleep_for(20ms);
  }

  const auto cpu_after = cpu_by_program(::getpid());
  std::vector<double> latency_ms;
  Clock::time_point last = first;
  {
    std::lock_guard lock(mutex);
    for (const auto& [id, at_request] : requested) {
      auto active = activated.find(id);
      if (active == activated.end()) continue;
      latency_ms.push_back(
          std::chrono::duration<double, std::milli>(active->second - at_request).count());
      last = std::max(last, active->second);
    }
  }
  double seconds = std::chrono::duration<double>(last - first).count();
  double script_ms = script_run_ms(scripts + "/instant.sh", 200);
  std::vector<double> overhead_ms;
  for (double ms : latency_ms) overhead_ms.push_back(std::max(0.0, ms - script_ms));
  std::printf(
      "orders %d active %zu failures %d requests_seconds %.2f seconds %.2f orders_per_second %.1f "
      "latency_p50_ms %.2f "
      "latency_p99_ms %.2f script_p50_ms %.2f overhead_p50_ms %.2f overhead_p99_ms %.2f\n",
      orders, latency_ms.size(), failures.load(), requests_seconds, seconds,
      seconds > 0 ? static_cast<double>(latency_ms.size()) / seconds : 0.0,
      percentile(latency_ms, 0.5), percentile(latency_ms, 0.99), script_ms,
      percentile(overhead_ms, 0.5), percentile(overhead_ms, 0.99));
  // CPU per order while the orders ran, by program (ms); this process's own threads are the
  // clients.
  double total_ms = 0;
  std::string by_program;
  auto per_order_ms = [&](double cpu_seconds) {
    return cpu_seconds * 1000.0 / std::max(1, orders);
  };
  for (const auto& [program, cpu_seconds] : cpu_after) {
    auto before = cpu_before.find(program);
    double used = cpu_seconds - (before == cpu_before.end() ? 0.0 : before->second);
    if (used <= 0) continue;
    total_ms += per_order_ms(used);
    char one[96];
    std::snprintf(one, sizeof one, " %s %.2f", program.c_str(), per_order_ms(used));
    by_program += one;
  }
  std::printf("cpu_ms_per_order total %.2f%s\n", total_ms, by_program.c_str());

  events->reset();
  for (auto it = children.rbegin(); it != children.rend(); ++it) (*it)->stop(SIGTERM, 10s);
  postgres->stop(10s);
  nats->stop(5s);
  return latency_ms.size() == static_cast<size_t>(orders) ? 0 : 1;
}
