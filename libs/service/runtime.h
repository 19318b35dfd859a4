// The life of every MPLI process: configuration, logging, bus connection, health answers,
// database pool and migrations, the outbox relay, then serving until SIGTERM and draining.
// A service's main() only describes itself (ServiceDefinition) and calls run_service().
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "libs/bus/connection.h"
#include "libs/core/config.h"
#include "libs/db/migrations.h"
#include "libs/db/pool.h"

namespace mpli::service {

// What a service's start hook gets: everything it wires its handlers to.
struct ServiceContext {
  std::string name;
  const config::Config& config;
  bus::Connection& bus;
  db::Pool* pool;  // nullptr for a process without a schema (the gateway)
  // Subscriptions made here are drained first on shutdown.
  std::vector<std::unique_ptr<bus::Subscription>> subscriptions;
  // Called in reverse order on shutdown, after subscriptions drained, before the bus closes.
  std::vector<std::function<void()>> on_stop;
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

// The settings every process has: nats.url, database.url, log.level, shutdown.timeout, ...
std::vector<config::Setting> common_settings(bool with_database);

// Returns the process exit code: 0 after a clean drain, 2 on bad configuration.
int run_service(const ServiceDefinition& definition, int argc, char** argv);

// Subject helpers, so no service spells them by hand.
std::string request_subject(const std::string& service, const std::string& operation);
std::string event_subject(const std::string& service, const std::string& event);

}  // namespace mpli::service
