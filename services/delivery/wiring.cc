#include "services/delivery/wiring.h"

#include <google/protobuf/util/json_util.h>

#include <random>

#include "libs/bus/jetstream.h"
#include "libs/core/log.h"
#include "services/delivery/billing/billing.h"
#include "services/delivery/handlers/bus_handlers.h"
#include "services/delivery/order_service.h"
#include "services/delivery/work/work_relay.h"

namespace mpli::delivery {

// Compiled in from services/delivery/migrations by mpli_embed_sql.
const std::vector<db::Migration>& migrations();

namespace {

constexpr const char* kResultPrefix = "mpli.work.v1.result.";

Result<SecretBox> secret_box(const config::Config& config) {
  const std::string& path = config.get("delivery.secret_key_file");
  if (!path.empty()) return SecretBox::from_key_file(path);
  log::warn(
      "delivery.secret_key_file is not set: order secrets are sealed with a key that lives as "
      "long as this process, and cannot be read after a restart");
  return SecretBox::ephemeral();
}

// Reads WorkUpdates from delivery-work-updates until stop; acks each after its commit.
void consume_updates(bus::Connection& bus, OrderService& orders, const service::StopToken& stop) {
  bus::ConsumerSpec spec;
  spec.stream = "MPLI_WORK";
  spec.durable = "delivery-work-updates";
  spec.filter_subject = std::string(kResultPrefix) + ">";
  spec.ack_wait = std::chrono::seconds(30);
  std::unique_ptr<bus::PullConsumer> consumer;
  google::protobuf::util::JsonParseOptions parse;
  parse.ignore_unknown_fields = true;
  while (!stop.stop_requested()) {
    if (!consumer) {
      auto created = bus::PullConsumer::create(bus, spec);
      if (!created) {
        log::warn("work update consumer not ready; retrying",
                  {{"error", created.status().to_string()}});
        stop.wait_for(std::chrono::seconds(1));
        continue;
      }
      consumer = std::move(created).value();
    }
    // One at a time: a fetch returns as soon as an update arrives, so none waits for a batch.
    auto batch = consumer->fetch(1, std::chrono::milliseconds(500));
    if (!batch) {
      if (batch.status().code() != StatusCode::kDeadlineExceeded) {
        stop.wait_for(std::chrono::milliseconds(200));
      }
      continue;
    }
    for (auto& delivered : *batch) {
      const bus::Message& message = delivered.message();
      v1::WorkUpdate update;
      if (!google::protobuf::util::JsonStringToMessage(message.data, &update, parse).ok()) {
        log::warn("unreadable work update dropped", {{"subject", message.subject}});
        (void)delivered.term();
        continue;
      }
      Status applied =
          orders.apply_update(message.subject.substr(std::string(kResultPrefix).size()), update);
      if (applied.is_ok()) {
        (void)delivered.ack();
      } else {
        log::warn("work update not applied; redelivering",
                  {{"work_id", update.work_id()}, {"error", applied.to_string()}});
        (void)delivered.nak(std::chrono::seconds(1));
      }
    }
  }
}

}  // namespace

service::ServiceDefinition definition() {
  service::ServiceDefinition definition;
  definition.name = "delivery";
  definition.schema = "delivery";
  definition.migrations = &migrations();
  definition.settings = {
      {"delivery.secret_key_file", "",
       "AES-256-GCM key for order secrets: 32 raw bytes or 64 hex characters, mode 0600 "
       "(unset: a key for this process only)",
       nullptr},
      {"work.max_attempts", "5", "attempts of a work item before its order fails",
       config::int_between(1, 100)},
      {"work.deadline", "10m", "time an attempt may take before it is retried", config::duration()},
      {"work.progress_extension", "2m", "how far a progress update pushes the deadline",
       config::duration()},
      {"work.backoff_base", "1s", "pause before the second attempt (doubling after)",
       config::duration()},
      {"work.backoff_max", "1m", "longest pause between attempts", config::duration()},
      {"work.ack_wait", "60s", "ack wait of the worker-<provider> consumers", config::duration()},
      {"work.update_readers", "4",
       "work updates applied at once (threads pulling from delivery-work-updates)",
       config::int_between(1, 64)},
      {"work.scan_interval", "1s", "how often pending work is checked against its deadline",
       config::duration()},
      {"orders.recovery_interval", "10s", "how often orders a crash left requested are looked for",
       config::duration()},
      {"orders.recovery_age", "30s", "age at which a requested order counts as left behind",
       config::duration()},
      {"upstream.timeout", "10s", "deadline of requests to the resolver and discovery",
       config::duration()},
  };
  definition.start = [](service::ServiceContext& context) -> Status {
    MPLI_RETURN_IF_ERROR(start_order_flow(context));
    return billing::serve_billing(context);
  };
  return definition;
}

Status start_order_flow(service::ServiceContext& context) {
  const config::Config& config = context.config;
  MPLI_ASSIGN_OR_RETURN(SecretBox secrets, secret_box(config));
  OrderServiceOptions options;
  options.retry.max_attempts = config.get_int("work.max_attempts");
  options.retry.deadline = config.get_duration("work.deadline");
  options.retry.progress_extension = config.get_duration("work.progress_extension");
  options.retry.backoff_base = config.get_duration("work.backoff_base");
  options.retry.backoff_max = config.get_duration("work.backoff_max");
  options.upstream_timeout = config.get_duration("upstream.timeout");
  auto random = std::make_shared<std::mt19937_64>(std::random_device{}());
  auto random_mutex = std::make_shared<std::mutex>();
  auto orders = context.own(std::make_shared<OrderService>(
      *context.pool, context.bus, secrets, options, [random, random_mutex] {
        std::lock_guard<std::mutex> lock(*random_mutex);
        return std::uniform_real_distribution<double>(0.0, 1.0)(*random);
      }));
  MPLI_RETURN_IF_ERROR(serve_order_subjects(context, *orders));

  WorkRelayOptions relay_options;
  relay_options.ack_wait = config.get_duration("work.ack_wait");
  auto relay = context.own(
      std::make_shared<WorkRelay>(context.pool->dsn(), context.bus, secrets, relay_options));
  context.run_worker("work-relay", [relay](const service::StopToken& stop) {
    stop.on_stop([relay] { relay->stop(); });
    relay->run();
  });
  bus::Connection& bus = context.bus;
  // Updates of different orders apply in parallel (each in its own transaction, serialised per
  // order by the order's row lock); one reader would cap the orders a second an instance settles.
  const int readers = static_cast<int>(config.get_int("work.update_readers"));
  for (int reader = 0; reader < readers; ++reader) {
    context.run_worker(
        "work-updates-" + std::to_string(reader),
        [&bus, orders](const service::StopToken& stop) { consume_updates(bus, *orders, stop); });
  }
  context.every("work-deadlines", config.get_duration("work.scan_interval"),
                [orders](const service::StopToken&) {
                  auto expired = orders->expire_deadlines();
                  if (!expired) {
                    log::warn("deadline scan failed", {{"error", expired.status().to_string()}});
                  }
                });
  auto age = config.get_duration("orders.recovery_age");
  context.every(
      "order-recovery", config.get_duration("orders.recovery_interval"),
      [orders, age](const service::StopToken&) {
        auto recovered = orders->recover_stranded(age);
        if (!recovered) {
          log::warn("order recovery pass failed", {{"error", recovered.status().to_string()}});
        } else if (*recovered > 0) {
          log::info("orders left behind were taken up", {{"orders", *recovered}});
        }
      });
  return Status::ok();
}

}  // namespace mpli::delivery
