// The work relay: publishes committed work items (work_items rows whose current attempt is not
// yet handed over and whose backoff has passed) to MPLI_WORK, like libs/db's OutboxRelay does
// for events. Woken by NOTIFY on commit, so an order's work goes out in milliseconds; a short
// poll covers retries whose backoff ends later and a NOTIFY lost to a reconnect.
#pragma once

#include <atomic>
#include <chrono>
#include <mutex>
#include <pqxx/pqxx>
#include <set>
#include <string>

#include "libs/bus/connection.h"
#include "libs/core/status.h"
#include "services/delivery/secret_box.h"

namespace mpli::delivery {

struct WorkRelayOptions {
  int batch_size = 200;
  std::chrono::milliseconds idle_poll{250};
  std::chrono::milliseconds ack_wait{std::chrono::seconds(60)};  // of worker-<provider>
};

class WorkRelay {
 public:
  // `secrets` opens a task's sealed WorkItem.secrets at publishing time (never logged).
  WorkRelay(std::string dsn, bus::Connection& bus, SecretBox secrets, WorkRelayOptions options);

  // Publishes until stop(); reconnects to PostgreSQL and waits out bus outages.
  void run();
  void stop() { stopping_ = true; }

  // One pass: publishes up to batch_size due attempts; returns how many.
  Result<int> publish_due(pqxx::connection& connection);

 private:
  // worker-<provider> exists before the provider's first item is published (the worker only
  // binds to it). Remembered once created.
  Status ensure_worker_consumer(const std::string& provider_id);

  std::string dsn_;
  bus::Connection& bus_;
  SecretBox secrets_;
  WorkRelayOptions options_;
  std::atomic<bool> stopping_{false};
  std::mutex mutex_;
  std::set<std::string> consumers_;
};

// "mpli.work.v1.<provider>.<operation>" and the consumer a provider's worker pulls from.
std::string work_subject(const std::string& provider_id, const std::string& operation);
std::string worker_consumer(const std::string& provider_id);

}  // namespace mpli::delivery
