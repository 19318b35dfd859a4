// mpli-test-consumer: a small service on the service kit whose behaviour the kit's integration
// tests choose through settings (MPLI_PROBE_*): an event consumer that applies events exactly
// once (with poison, doomed, flaky and stalling events), background workers (well-behaved or
// stuck), an echo endpoint, and a start hook that can fail halfway. Not shipped.
#include <google/protobuf/wrappers.pb.h>
#include <unistd.h>

#include <condition_variable>
#include <mutex>
#include <thread>

#include "libs/core/log.h"
#include "libs/db/applied_events.h"
#include "libs/service/runtime.h"
#include "mpli/common/v1/envelope.pb.h"

namespace mpli::probe {

// Compiled in from tests/integration/probe_service/migrations by mpli_embed_sql.
const std::vector<db::Migration>& migrations();

namespace {

using google::protobuf::StringValue;
using std::chrono::milliseconds;

constexpr const char* kSchema = "probe";
constexpr const char* kDurable = "probe-applier";
constexpr int kFlakyFailures = 2;  // a "flaky" event fails its first two deliveries

// Logs when it is destroyed, so a test can see the runtime release owned objects (and in
// which order).
class Announced {
 public:
  explicit Announced(std::string name) : name_(std::move(name)) {}
  ~Announced() { log::info("probe released", {{"object", name_}}); }
  Announced(const Announced&) = delete;
  Announced& operator=(const Announced&) = delete;

 private:
  std::string name_;
};

// Lets the echo endpoint tell a waiting start hook to fail.
class FailTrigger {
 public:
  void pull() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      pulled_ = true;
    }
    changed_.notify_all();
  }
  bool wait(milliseconds timeout) {
    std::unique_lock<std::mutex> lock(mutex_);
    return changed_.wait_for(lock, timeout, [this] { return pulled_; });
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  bool pulled_ = false;
};

// A failed attempt, committed on its own so the test can see every delivery.
void note_attempt(db::Pool& pool, const service::Delivery& delivery, const std::string& outcome) {
  Status noted = pool.transact([&](pqxx::work& tx) {
    tx.exec_params0("INSERT INTO probe.attempts (event_id, attempt, outcome) VALUES ($1, $2, $3)",
                    delivery.event_id, static_cast<int>(delivery.attempt), outcome);
  });
  if (!noted.is_ok()) log::warn("cannot note an attempt", {{"error", noted.to_string()}});
}

Status apply_event(db::Pool& pool, bus::Connection& bus, const bus::Message& message,
                   const service::Delivery& delivery, milliseconds work) {
  common::v1::Envelope envelope;
  if (!envelope.ParseFromString(message.data)) return invalid_argument("not an Envelope");
  const std::string& kind = envelope.payload();
  if (kind == "poison") {
    note_attempt(pool, delivery, "poison");
    return invalid_argument("probe: poison event " + delivery.event_id);
  }
  if (kind == "doomed") {
    note_attempt(pool, delivery, "doomed");
    return unavailable("probe: doomed event " + delivery.event_id + " fails every time");
  }
  if (kind == "flaky" && delivery.attempt <= static_cast<uint64_t>(kFlakyFailures)) {
    note_attempt(pool, delivery, "flaky");
    return unavailable("probe: flaky event, attempt " + std::to_string(delivery.attempt));
  }
  bool stall = false;
  Status applied = pool.transact([&](pqxx::work& tx) -> Status {
    stall = false;
    MPLI_ASSIGN_OR_RETURN(bool first, db::record_applied(tx, kSchema, kDurable, delivery.event_id));
    if (!first) {
      // Applied before a crash or a lost ack: change nothing but note that it came again.
      tx.exec_params0("INSERT INTO probe.redelivered (event_id, attempt) VALUES ($1, $2)",
                      delivery.event_id, static_cast<int>(delivery.attempt));
      return Status::ok();
    }
    tx.exec_params0("INSERT INTO probe.applied (event_id, attempt, pid) VALUES ($1, $2, $3)",
                    delivery.event_id, static_cast<int>(delivery.attempt),
                    static_cast<int>(getpid()));
    // Work inside the open transaction, so a SIGKILL is likely to land in one.
    if (work.count() > 0) std::this_thread::sleep_for(work);
    stall = kind == "stall" && delivery.attempt == 1;
    return Status::ok();
  });
  if (applied.is_ok() && stall) {
    // Committed and not yet acknowledged: the test kills the process here (bounded wait).
    (void)bus.publish("mpli.probe.v1.stalled", delivery.event_id);
    std::this_thread::sleep_for(milliseconds(60000));
  }
  return applied;
}

Status start(service::ServiceContext& context) {
  const config::Config& config = context.config;
  context.own(std::make_shared<Announced>("first"));
  context.own(std::make_shared<Announced>("second"));
  auto trigger = context.own(std::make_shared<FailTrigger>());
  bus::Connection& bus = context.bus;

  MPLI_RETURN_IF_ERROR((context.serve<StringValue, StringValue>(
      "echo",
      [&bus, trigger](const StringValue& request,
                      const service::CallContext&) -> Result<StringValue> {
        StringValue reply;
        const std::string& text = request.value();
        if (text.rfind("sleep:", 0) == 0) {
          // A slow request; the test hears when it started so it can stop the process mid-way.
          int ms = std::min(std::atoi(text.c_str() + 6), 60000);
          (void)bus.publish("mpli.probe.v1.echo_started", text);
          std::this_thread::sleep_for(milliseconds(ms));
          reply.set_value("slept " + std::to_string(ms));
        } else if (text == "fail-start") {
          trigger->pull();
          reply.set_value("failing");
        } else if (text.empty()) {
          return invalid_field("value", "say something");
        } else {
          reply.set_value(text);
        }
        return reply;
      })));

  if (config.get_bool("probe.worker")) {
    context.run_worker("heartbeat", [&bus](const service::StopToken& stop) {
      while (!stop.wait_for(milliseconds(50))) {
        (void)bus.publish("mpli.probe.v1.heartbeat", std::to_string(getpid()));
      }
      log::info("probe worker stopped");
    });
    int ticks = 0;
    context.every("ticker", milliseconds(50), [ticks](const service::StopToken&) mutable {
      if (++ticks == 1) log::info("probe ticker ticked");
    });
  }
  if (config.get_bool("probe.stuck_worker")) {
    context.run_worker("stuck", [](const service::StopToken&) {
      // Ignores its token on purpose (bounded at ten minutes).
      for (int i = 0; i < 6000; ++i) std::this_thread::sleep_for(milliseconds(100));
    });
  }
  if (config.get_bool("probe.consume")) {
    {
      MPLI_ASSIGN_OR_RETURN(auto lease, context.pool->acquire());
      MPLI_RETURN_IF_ERROR(db::ensure_applied_events_table(*lease, kSchema));
    }
    service::EventConsumerSpec spec;
    spec.durable = kDurable;
    spec.subjects = {service::event_subject("probe", ">")};
    spec.max_attempts = config.get_int("probe.max_attempts");
    spec.backoff_base = config.get_duration("probe.backoff_base");
    spec.ack_wait = config.get_duration("probe.ack_wait");
    db::Pool* pool = context.pool;
    milliseconds work = config.get_duration("probe.apply_work");
    MPLI_RETURN_IF_ERROR(context.consume(
        spec, [pool, &bus, work](const bus::Message& message, const service::Delivery& delivery) {
          return apply_event(*pool, bus, message, delivery, work);
        }));
  }
  if (config.get_bool("probe.fail_start")) {
    // Everything above is running; fail once the test says so.
    if (!trigger->wait(milliseconds(60000))) return deadline_exceeded("probe: nobody said fail");
    return failed_precondition("probe: told to fail halfway through start");
  }
  return Status::ok();
}

}  // namespace

service::ServiceDefinition definition() {
  service::ServiceDefinition definition;
  definition.name = "probe";
  definition.schema = kSchema;
  definition.migrations = &migrations();
  definition.settings = {
      {"probe.consume", "false", "apply mpli.events.probe.v1.> exactly once", config::boolean()},
      {"probe.apply_work", "0s", "time each apply spends in its transaction", config::duration()},
      {"probe.ack_wait", "30s", "the consumer's ack wait", config::duration()},
      {"probe.max_attempts", "5", "deliveries before dead-lettering", config::int_between(1, 100)},
      {"probe.backoff_base", "200ms", "first redelivery delay", config::duration()},
      {"probe.worker", "false", "run a well-behaved worker and a timer", config::boolean()},
      {"probe.stuck_worker", "false", "run a worker that ignores stop", config::boolean()},
      {"probe.fail_start", "false", "fail the start hook when echo hears 'fail-start'",
       config::boolean()},
  };
  definition.start = start;
  return definition;
}

}  // namespace mpli::probe

int main(int argc, char** argv) {
  return mpli::service::run_service(mpli::probe::definition(), argc, argv);
}
