#include "libs/service/runtime.h"

#include <signal.h>
#include <unistd.h>

#include <cstdlib>
#include <iostream>
#include <thread>

#include "libs/bus/jetstream.h"
#include "libs/core/log.h"
#include "libs/core/termination.h"
#include "libs/db/outbox.h"
#include "mpli/common/v1/envelope.pb.h"

namespace mpli::service {
namespace {

constexpr const char* kVersion = "0.1.0";

std::string hostname() {
  char buffer[256] = {0};
  gethostname(buffer, sizeof(buffer) - 1);
  return buffer;
}

// Waits up to `timeout` for SIGTERM or SIGINT (blocked in every thread). True when one came.
bool termination_requested(const sigset_t& signals, std::chrono::milliseconds timeout) {
  timespec wait{static_cast<time_t>(timeout.count() / 1000),
                static_cast<long>((timeout.count() % 1000) * 1000000)};
  return sigtimedwait(&signals, nullptr, &wait) > 0;
}

// A last resort, so a stuck handler or worker can never keep the process past its timeout:
// exits 1 once `timeout` (and a second's grace) has passed.
void exit_after(std::chrono::milliseconds timeout) {
  std::thread([timeout] {
    std::this_thread::sleep_for(timeout + std::chrono::seconds(1));
    log::error("shutdown did not finish in time; exiting", {{"timeout_ms", timeout.count()}});
    std::_Exit(1);
  }).detach();
}

std::string config_file_from_args(int argc, char** argv) {
  for (int i = 1; i + 1 < argc; ++i) {
    if (std::string(argv[i]) == "--config") return argv[i + 1];
  }
  const char* env = std::getenv("MPLI_CONFIG");
  return env != nullptr ? env : "";
}

}  // namespace

std::string request_subject(const std::string& service, const std::string& operation) {
  return "mpli." + service + ".v1." + operation;
}

std::string event_subject(const std::string& service, const std::string& event) {
  return "mpli.events." + service + ".v1." + event;
}

struct ServiceContext::Worker {
  std::string name;
  std::thread thread;
  std::atomic<bool> done{false};
};

void HealthChecks::add(std::string name, std::function<std::string()> check) {
  std::lock_guard<std::mutex> lock(mutex_);
  checks_.emplace_back(std::move(name), std::move(check));
}

std::vector<std::pair<std::string, std::string>> HealthChecks::run() const {
  std::lock_guard<std::mutex> lock(mutex_);
  std::vector<std::pair<std::string, std::string>> out;
  out.reserve(checks_.size());
  for (const auto& [name, check] : checks_) out.emplace_back(name, check());
  return out;
}

ServiceContext::ServiceContext(std::string service_name, const config::Config& service_config,
                               bus::Connection& service_bus, db::Pool* service_pool,
                               Endpoints& endpoints, HealthChecks* health)
    : name(std::move(service_name)),
      config(service_config),
      bus(service_bus),
      pool(service_pool),
      endpoints_(endpoints),
      health_(health) {}

void ServiceContext::add_health_check(std::string check_name, std::function<std::string()> check) {
  if (health_ != nullptr) health_->add(std::move(check_name), std::move(check));
}

// stop() throws only where a log line's JSON literal could, which it cannot (see .clang-tidy).
// NOLINTNEXTLINE(bugprone-exception-escape)
ServiceContext::~ServiceContext() {
  if (stop(std::chrono::milliseconds(0))) return;
  // A worker is still running. Destroying its joinable std::thread would std::terminate, and
  // destroying its Worker record or the owned objects would pull them from under it: leave
  // them all to the process's exit (the runtime exits right after).
  for (auto& worker : workers_) {
    worker->thread.detach();
    (void)worker.release();
  }
  (void)new std::vector<std::shared_ptr<void>>(std::move(owned_));
}

EndpointOptions ServiceContext::endpoint_options() const {
  EndpointOptions options;
  options.concurrency = config.get_int("handlers.concurrency");
  options.queue_limit = config.get_int("handlers.queue_limit");
  return options;
}

void ServiceContext::run_worker(const std::string& worker_name,
                                std::function<void(const StopToken&)> work) {
  auto worker = std::make_unique<Worker>();
  worker->name = worker_name;
  Worker* raw = worker.get();
  StopToken token = stop_.token();
  worker->thread = std::thread([raw, token, work = std::move(work)] {
    try {
      work(token);
    } catch (const std::exception& e) {
      log::error("background work failed", {{"worker", raw->name}, {"error", e.what()}});
    }
    raw->done = true;
  });
  workers_.push_back(std::move(worker));
}

void ServiceContext::every(const std::string& worker_name, std::chrono::milliseconds interval,
                           std::function<void(const StopToken&)> work) {
  run_worker(worker_name, [interval, work = std::move(work)](const StopToken& stop) {
    while (!stop.wait_for(interval)) work(stop);
  });
}

Status ServiceContext::consume(EventConsumerSpec spec, EventHandler handler) {
  std::string durable = spec.durable;
  auto consumer = EventConsumer::create(bus, std::move(spec), std::move(handler));
  if (!consumer) return consumer.status();
  std::shared_ptr<EventConsumer> owned =
      own(std::shared_ptr<EventConsumer>(std::move(consumer).value()));
  run_worker("consumer " + durable, [owned](const StopToken& stop) { owned->run(stop); });
  return Status::ok();
}

bool ServiceContext::stop(std::chrono::milliseconds timeout) {
  stop_.request_stop();
  auto deadline = std::chrono::steady_clock::now() + timeout;
  bool all_returned = true;
  for (auto& worker : workers_) {
    while (!worker->done && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    if (worker->done) {
      if (worker->thread.joinable()) worker->thread.join();
    } else {
      log::error("background work did not stop in time", {{"worker", worker->name}});
      all_returned = false;
    }
  }
  if (!all_returned) return false;  // owned objects stay: a running worker may still use them
  workers_.clear();
  while (!owned_.empty()) owned_.pop_back();  // reverse order of own()
  return true;
}

ServiceDefinition schema_only_service(const std::string& name,
                                      const std::vector<db::Migration>& migrations) {
  ServiceDefinition definition;
  definition.name = name;
  definition.schema = name;
  definition.migrations = &migrations;
  return definition;
}

std::vector<config::Setting> common_settings(bool with_database) {
  std::vector<config::Setting> settings = {
      {"nats.url", "nats://127.0.0.1:4222",
       "NATS server URL; a cluster's servers separated by commas",
       config::url_list_with_scheme({"nats", "tls"})},
      {"nats.stream_replicas", "1",
       "copies of each JetStream stream this service creates (3 on a three-node cluster)",
       config::int_between(1, 5)},
      {"nats.user", "", "NATS user (least privilege: one per service)", {}},
      {"nats.password", "", "NATS password", {}, false, true},
      {"log.level", "info", "minimum log level",
       config::one_of({"debug", "info", "warn", "error"})},
      {"shutdown.timeout", "10s", "how long draining may take on SIGTERM", config::duration()},
      {"handlers.concurrency", "4", "requests handled at once per subject",
       config::int_between(1, 256)},
      {"handlers.queue_limit", "64", "requests waiting per subject before refusing with busy",
       config::int_between(0, 100000)},
  };
  if (with_database) {
    settings.push_back({"database.url",
                        "host=127.0.0.1 port=5432 dbname=mpli user=postgres",
                        "libpq connection string",
                        {},
                        false,
                        true});
    settings.push_back(
        {"database.pool_size", "16", "PostgreSQL connections", config::int_between(1, 256)});
    settings.push_back({"database.acquire_timeout", "2s",
                        "wait for a free connection before answering busy (503 + Retry-After)",
                        config::duration()});
  }
  return settings;
}

int run_service(const ServiceDefinition& definition, int argc, char** argv) {
  // Block termination signals before any thread exists: every thread inherits the mask and
  // the main thread alone takes them with sigtimedwait, so no handler runs in a C library.
  const sigset_t signals = termination_signals();
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  bool with_database = !definition.schema.empty();
  auto settings = common_settings(with_database);
  settings.insert(settings.end(), definition.settings.begin(), definition.settings.end());
  auto loaded = config::Config::load(settings, config_file_from_args(argc, argv),
                                     config::process_environment());
  if (!loaded) {
    std::cerr << "mpli-" << definition.name << ": bad configuration: " << loaded.status().message()
              << "\n";
    return 2;
  }
  const config::Config& config = loaded.value();
  log::init(definition.name, log::parse_level(config.get("log.level")), &std::cerr);
  log::info("starting", {{"version", kVersion}, {"pid", getpid()}, {"config", config.describe()}});

  auto start_time = std::chrono::steady_clock::now();
  bus::ConnectOptions bus_options;
  bus_options.url = config.get("nats.url");
  bus_options.name = "mpli-" + definition.name;
  bus_options.user = config.get("nats.user");
  bus_options.password = config.get("nats.password");
  bus_options.stream_replicas = std::stoi(config.get("nats.stream_replicas"));
  // Waits for the bus like for every other dependency, and stops waiting when told to.
  bus_options.keep_trying = [] { return !termination_pending(); };
  auto connected = bus::Connection::connect(bus_options);
  if (!connected && termination_pending()) {
    log::info("stopped before becoming ready");
    return 0;
  }
  if (!connected) {
    log::error("cannot use the bus", {{"error", connected.status().to_string()}});
    return 1;
  }
  bus::Connection& bus = *connected.value();

  std::unique_ptr<db::Pool> pool;
  if (with_database) {
    pool =
        std::make_unique<db::Pool>(config.get("database.url"), config.get_int("database.pool_size"),
                                   config.get_duration("database.acquire_timeout"));
  }
  std::atomic<bool> ready{false};
  HealthChecks service_checks;

  // Health answers from the first moment (degraded until set-up completes), so the gateway
  // can say which service is waiting for what.
  auto health =
      bus.serve(request_subject(definition.name, "health"), definition.name,
                [&](const bus::Message&) -> Result<std::string> {
                  mpli::common::v1::HealthReply reply;
                  reply.set_service(definition.name);
                  reply.set_version(kVersion);
                  reply.set_instance(hostname() + ":" + std::to_string(getpid()));
                  reply.set_uptime_seconds(std::chrono::duration_cast<std::chrono::seconds>(
                                               std::chrono::steady_clock::now() - start_time)
                                               .count());
                  bool ok = ready.load();
                  (*reply.mutable_checks())["bus"] = "ok";
                  if (pool) {
                    bool db_ok = pool->healthy();
                    (*reply.mutable_checks())["database"] = db_ok ? "ok" : "unreachable";
                    ok = ok && db_ok;
                  }
                  if (!ready.load()) (*reply.mutable_checks())["startup"] = "in progress";
                  for (const auto& [check, state] : service_checks.run()) {
                    (*reply.mutable_checks())[check] = state;
                    ok = ok && state == "ok";
                  }
                  reply.set_status(ok ? "ok" : "degraded");
                  return reply.SerializeAsString();
                });
  if (!health) {
    log::error("cannot serve health", {{"error", health.status().to_string()}});
    return 1;
  }

  // Set-up waits for its dependencies instead of failing: a service started before NATS or
  // PostgreSQL simply becomes ready when they appear.
  auto backoff = std::chrono::milliseconds(100);
  while (true) {
    Status setup = bus.wait_connected(std::chrono::milliseconds(0));
    if (setup.is_ok()) setup = bus::ensure_stream(bus, bus::events_stream());
    if (setup.is_ok()) setup = bus::ensure_stream(bus, bus::work_stream());
    if (setup.is_ok() && pool) {
      auto lease = pool->acquire();
      if (!lease) {
        setup = lease.status();
      } else {
        auto migrated = db::migrate(
            **lease, definition.schema,
            definition.migrations ? *definition.migrations : std::vector<db::Migration>{});
        setup = migrated.status();
        if (setup.code() == StatusCode::kFailedPrecondition) {
          log::error("cannot migrate", {{"error", setup.to_string()}});
          return 1;
        }
      }
    }
    if (setup.is_ok()) break;
    log::warn("waiting for dependencies", {{"reason", setup.to_string()}});
    if (termination_requested(signals, backoff)) {
      log::info("stopped before becoming ready");
      return 0;
    }
    backoff = std::min(backoff * 2, std::chrono::milliseconds(2000));
  }

  Endpoints endpoints(bus, definition.name, hostname() + ":" + std::to_string(getpid()), kVersion);
  std::unique_ptr<db::OutboxRelay> relay;
  std::thread relay_thread;
  if (pool) {
    relay = std::make_unique<db::OutboxRelay>(config.get("database.url"), definition.schema, bus);
    relay_thread = std::thread([&relay] { relay->run(); });
  }
  auto stop_relay = [&] {
    if (relay) {
      relay->stop();
      relay_thread.join();
    }
  };
  auto timeout = config.get_duration("shutdown.timeout");
  auto context = std::make_unique<ServiceContext>(definition.name, config, bus, pool.get(),
                                                  endpoints, &service_checks);
  // The stop order, within `timeout`, after SIGTERM and after a start hook that failed halfway:
  // endpoints finish what they hold, then workers, timers and consumers, then owned objects
  // (reverse order), the relay, health and the bus. Past the timeout the process exits 1.
  auto shut_down = [&] {
    exit_after(timeout);
    auto deadline = std::chrono::steady_clock::now() + timeout;
    auto remaining = [&] {
      return std::max(std::chrono::milliseconds(0),
                      std::chrono::duration_cast<std::chrono::milliseconds>(
                          deadline - std::chrono::steady_clock::now()));
    };
    // The stop token fires before endpoints drain: a handler waiting on a stalled server
    // watches it and gives up, so draining does not wait for it.
    context->request_stop();
    endpoints.drain(remaining());
    if (!context->stop(remaining())) {
      log::error("exiting with background work still running");
      std::_Exit(1);
    }
    context.reset();
    stop_relay();
    (*health)->drain(std::chrono::milliseconds(500));
    Status drained = bus.drain(std::max(remaining(), std::chrono::milliseconds(100)));
    if (!drained.is_ok()) log::warn("bus drain incomplete", {{"error", drained.to_string()}});
  };
  if (definition.start) {
    Status started = definition.start(*context);
    if (!started.is_ok()) {
      log::error("cannot start", {{"error", started.to_string()}});
      shut_down();  // tears down what start made before it failed
      return 1;
    }
  }
  // Statistics only once the start hook has served the service's own subjects: a caller that
  // waits until they answer may then call any endpoint (a start that compiles shapes or loads
  // an index takes a while, and a request in between would find no responder).
  Status stats_served = endpoints.serve_stats();
  if (!stats_served.is_ok())
    log::warn("cannot serve statistics", {{"error", stats_served.to_string()}});
  ready = true;
  log::info("ready");

  while (!termination_requested(signals, std::chrono::milliseconds(1000))) {
  }

  log::info("draining", {{"timeout_ms", timeout.count()}});
  shut_down();
  log::info("stopped");
  return 0;
}

}  // namespace mpli::service
