#include "services/portability/wiring.h"

#include <condition_variable>

#include "libs/bus/jetstream.h"
#include "libs/core/log.h"
#include "mpli/delivery/v1/delivery.pb.h"
#include "services/portability/handlers/bus_handlers.h"
#include "services/portability/migration_service.h"

namespace mpli::portability {

// Compiled in from services/portability/migrations by mpli_embed_sql.
const std::vector<db::Migration>& migrations();

namespace {

// Wakes the driver early (a migration created, a task finished) instead of at the next scan.
class Wakeup {
 public:
  void notify() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      pending_ = true;
    }
    cv_.notify_all();
  }
  // Waits up to `interval` (or until notify); true when woken.
  bool wait(std::chrono::milliseconds interval) {
    std::unique_lock<std::mutex> lock(mutex_);
    bool woken = cv_.wait_for(lock, interval, [this] { return pending_; });
    pending_ = false;
    return woken;
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  bool pending_ = false;
};

}  // namespace

bus::StreamSpec transfer_stream() {
  bus::StreamSpec spec;
  spec.name = "MPLI_TRANSFER";
  spec.subjects = {"mpli.transfer.v1.>"};
  spec.max_age = std::chrono::hours(1);
  // Chunks are read by the target's import as they come and age out within the hour; 1 GiB
  // bounds what a stalled import holds, and fits a JetStream whose file store is a few GB.
  spec.max_bytes = int64_t{1} << 30;
  return spec;
}

service::ServiceDefinition definition() {
  service::ServiceDefinition definition;
  definition.name = "portability";
  definition.schema = "portability";
  definition.migrations = &migrations();
  definition.settings = {
      {"migrations.grace_period", "24h",
       "how long the source stays after cut-over before it is decommissioned", config::duration()},
      {"migrations.scan_interval", "2s",
       "how often unfinished migrations are driven on (and running tasks asked about)",
       config::duration()},
      {"upstream.timeout", "10s", "deadline of requests to delivery, discovery and the resolver",
       config::duration()},
  };
  definition.start = [](service::ServiceContext& context) -> Status {
    const config::Config& config = context.config;
    MPLI_RETURN_IF_ERROR(bus::ensure_stream(context.bus, transfer_stream()));
    MigrationServiceOptions options;
    options.grace_period = config.get_duration("migrations.grace_period");
    options.upstream_timeout = config.get_duration("upstream.timeout");
    auto wakeup = context.own(std::make_shared<Wakeup>());
    options.wake_driver = [wakeup] { wakeup->notify(); };
    auto service =
        context.own(std::make_shared<MigrationService>(*context.pool, context.bus, options));
    MPLI_RETURN_IF_ERROR(serve_migration_subjects(context, *service));

    service::EventConsumerSpec spec;
    spec.durable = "portability-tasks";
    spec.subjects = {service::event_subject("delivery", "task_finished")};
    spec.max_attempts = 1000;  // only database trouble fails an event: keep it until it passes
    spec.backoff_max = std::chrono::seconds(5);
    // One at a time: a fetch returns as soon as one event arrives, where a batch would wait up
    // to the fetch's timeout for more; each event moves a migration on, during a cut-over too.
    spec.batch = 1;
    MPLI_RETURN_IF_ERROR(context.consume(
        spec, [service, wakeup](const bus::Message& message, const service::Delivery&) -> Status {
          MPLI_ASSIGN_OR_RETURN(auto event,
                                service::event_payload<delivery::v1::TaskFinished>(message));
          MPLI_RETURN_IF_ERROR(service->on_task_finished(event));
          wakeup->notify();
          return Status::ok();
        }));

    // The driver: every scan (or sooner when woken) each unfinished migration moves on; a scan
    // also asks delivery about running tasks, so a missed event never stalls one.
    const auto interval = config.get_duration("migrations.scan_interval");
    context.run_worker("migration-driver",
                       [service, wakeup, interval](const service::StopToken& stop) {
                         stop.on_stop([wakeup] { wakeup->notify(); });
                         bool poll = true;
                         while (!stop.stop_requested()) {
                           service->drive_all(poll);
                           poll = !wakeup->wait(interval);
                         }
                       });
    return Status::ok();
  };
  return definition;
}

}  // namespace mpli::portability
