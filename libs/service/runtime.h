// The life of every MPLI process: configuration, logging, bus connection, health answers,
// database pool and migrations, the outbox relay, then serving until SIGTERM and draining.
// A service's main() only describes itself (ServiceDefinition) and calls run_service(); its
// start hook wires typed endpoints, event consumers and background work through the
// ServiceContext, which owns all of them and tears them down in reverse order.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "libs/bus/connection.h"
#include "libs/core/config.h"
#include "libs/db/migrations.h"
#include "libs/db/pool.h"
#include "libs/service/endpoints.h"
#include "libs/service/event_consumer.h"
#include "libs/service/stop_token.h"

namespace mpli::service {

// What a service's start hook gets: everything it wires its work to. Everything it creates
// through it is owned by the runtime and stopped on SIGTERM, also when start fails halfway:
//   1. endpoints stop taking requests and finish the ones in flight;
//   2. the stop token fires: workers, timers and consumers finish what they hold;
//   3. they are joined (up to shutdown.timeout in all);
//   4. owned objects are destroyed in reverse order of own().
// Checks a service adds to its health reply besides bus and database (thread-safe).
class HealthChecks {
 public:
  void add(std::string name, std::function<std::string()> check);
  // name -> state; a state other than "ok" makes the service "degraded".
  std::vector<std::pair<std::string, std::string>> run() const;

 private:
  mutable std::mutex mutex_;
  std::vector<std::pair<std::string, std::function<std::string()>>> checks_;
};

class ServiceContext {
 public:
  ServiceContext(std::string name, const config::Config& config, bus::Connection& bus,
                 db::Pool* pool, Endpoints& endpoints, HealthChecks* health = nullptr);
  ~ServiceContext();
  ServiceContext(const ServiceContext&) = delete;
  ServiceContext& operator=(const ServiceContext&) = delete;

  const std::string name;
  const config::Config& config;
  bus::Connection& bus;
  db::Pool* const pool;  // nullptr for a process without a schema (the gateway)

  // Serves mpli.<name>.v1.<operation>: decodes Request, runs `handler`, encodes Reply or the
  // error reply; bounded concurrency and statistics per subject (endpoints.h).
  template <typename Request, typename Reply>
  Status serve(const std::string& operation,
               std::function<Result<Reply>(const Request&, const CallContext&)> handler,
               EndpointOptions options) {
    return endpoints_.serve_raw(operation, typed_handler<Request, Reply>(std::move(handler)),
                                options);
  }
  template <typename Request, typename Reply>
  Status serve(const std::string& operation,
               std::function<Result<Reply>(const Request&, const CallContext&)> handler) {
    return serve<Request, Reply>(operation, std::move(handler), endpoint_options());
  }
  // handlers.concurrency and handlers.queue_limit from the configuration.
  EndpointOptions endpoint_options() const;

  // A check the health reply adds, e.g. {"index", "loading"}: a service that answers only
  // once something is loaded says so, and is "degraded" until then. Runs on the health thread.
  void add_health_check(std::string check_name, std::function<std::string()> check);

  // A durable event consumer run on its own thread (event_consumer.h).
  Status consume(EventConsumerSpec spec, EventHandler handler);

  // Background work on its own thread; `work` returns when its token asks it to stop.
  void run_worker(const std::string& name, std::function<void(const StopToken&)> work);
  // `work` every `interval` (the first run after one interval) until stop.
  void every(const std::string& name, std::chrono::milliseconds interval,
             std::function<void(const StopToken&)> work);

  // Keeps `object` alive until the service stops; destroyed in reverse order of own().
  template <typename T>
  std::shared_ptr<T> own(std::shared_ptr<T> object) {
    owned_.push_back(object);
    return object;
  }
  StopToken stop_token() const { return stop_.token(); }

  // The runtime's side: fire the stop token (first, so a handler stuck in I/O that watches it
  // gives up before endpoints wait for it), then stop everything within `timeout`.
  void request_stop() { stop_.request_stop(); }
  // Stop everything, within `timeout`. False when some worker did not
  // return in time (the runtime then exits without waiting for it).
  bool stop(std::chrono::milliseconds timeout);

 private:
  Endpoints& endpoints_;
  HealthChecks* health_;
  StopSource stop_;
  struct Worker;
  std::vector<std::unique_ptr<Worker>> workers_;
  std::vector<std::shared_ptr<void>> owned_;
};

struct ServiceDefinition {
  std::string name;    // "discovery": subjects mpli.discovery.v1.*, queue group "discovery"
  std::string schema;  // PostgreSQL schema; "" = no database
  const std::vector<db::Migration>* migrations = nullptr;
  std::vector<config::Setting> settings;  // the service's own, besides the common ones
  std::function<Status(ServiceContext&)> start;
};

// A service that owns its schema (named after it) and no handlers yet: it migrates, relays its
// outbox and answers health. The services whose issues have not landed start this way.
ServiceDefinition schema_only_service(const std::string& name,
                                      const std::vector<db::Migration>& migrations);

// The settings every process has: nats.url, database.url, log.level, shutdown.timeout,
// handlers.concurrency, handlers.queue_limit, ...
std::vector<config::Setting> common_settings(bool with_database);

// Returns the process exit code: 0 after a clean drain, 2 on bad configuration.
int run_service(const ServiceDefinition& definition, int argc, char** argv);

// Subject helpers, so no service spells them by hand.
std::string request_subject(const std::string& service, const std::string& operation);
std::string event_subject(const std::string& service, const std::string& event);

}  // namespace mpli::service
