#include "services/delivery/work/work_relay.h"

#include <google/protobuf/util/json_util.h>

#include <thread>

#include "libs/bus/jetstream.h"
#include "libs/core/log.h"
#include "mpli/delivery/v1/delivery.pb.h"
#include "services/delivery/store/order_store.h"

namespace mpli::delivery {

namespace {

class WorkNotification : public pqxx::notification_receiver {
 public:
  WorkNotification(pqxx::connection_base& connection, const std::string& channel)
      : pqxx::notification_receiver(connection, channel) {}
  void operator()(const std::string&, int) override {}
};

}  // namespace

std::string work_subject(const std::string& provider_id, const std::string& operation) {
  return "mpli.work.v1." + provider_id + "." + operation;
}

std::string worker_consumer(const std::string& provider_id) { return "worker-" + provider_id; }

WorkRelay::WorkRelay(std::string dsn, bus::Connection& bus, SecretBox secrets,
                     WorkRelayOptions options)
    : dsn_(std::move(dsn)), bus_(bus), secrets_(secrets), options_(options) {}

Status WorkRelay::ensure_worker_consumer(const std::string& provider_id) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (consumers_.count(provider_id) != 0) return Status::ok();
  }
  bus::ConsumerSpec spec;
  spec.stream = "MPLI_WORK";
  spec.durable = worker_consumer(provider_id);
  spec.filter_subject = "mpli.work.v1." + provider_id + ".>";
  spec.ack_wait = options_.ack_wait;
  MPLI_RETURN_IF_ERROR(bus::ensure_consumer(bus_, spec));
  std::lock_guard<std::mutex> lock(mutex_);
  consumers_.insert(provider_id);
  return Status::ok();
}

Result<int> WorkRelay::publish_due(pqxx::connection& connection) {
  pqxx::work tx(connection);
  auto due = OrderStore::due_for_publishing(tx, options_.batch_size);
  int published = 0;
  Status failure;
  google::protobuf::util::JsonParseOptions parse;
  parse.ignore_unknown_fields = true;
  google::protobuf::util::JsonPrintOptions print;
  print.preserve_proto_field_names = true;
  for (const WorkRow& work : due) {
    // The stored body is the template; the attempt and its deadline are the row's.
    v1::WorkItem item;
    if (!google::protobuf::util::JsonStringToMessage(work.body, &item, parse).ok()) {
      log::error("work item body unreadable; not published", {{"work_id", work.work_id}});
      continue;
    }
    if (!work.secrets_sealed.empty()) {
      // Plain only in this message: the stored body never holds them.
      auto secrets = secrets_.open_map(work.secrets_sealed, work.work_id);
      if (!secrets) {
        log::error("work item secrets do not open; not published", {{"work_id", work.work_id}});
        continue;
      }
      for (auto& [key, value] : *secrets) (*item.mutable_secrets())[key] = value;
    }
    item.set_attempt(work.attempt);
    item.set_deadline_unix_ms(work.deadline_unix_ms);
    std::string json;
    (void)google::protobuf::util::MessageToJsonString(item, &json, print);
    failure = ensure_worker_consumer(work.provider_id);
    if (!failure.is_ok()) break;
    auto ack = bus::publish_durable(bus_, work_subject(work.provider_id, work.operation), json,
                                    work.work_id + "." + std::to_string(work.attempt),
                                    {{"Content-Type", "application/json"}});
    if (!ack) {
      failure = ack.status();
      break;
    }
    // A crash before this commits republishes the same Nats-Msg-Id: the stream drops it.
    OrderStore::mark_published(tx, work.work_id, work.attempt);
    ++published;
  }
  tx.commit();
  if (!failure.is_ok()) return failure;
  return published;
}

void WorkRelay::run() {
  auto backoff = std::chrono::milliseconds(100);
  while (!stopping_) {
    try {
      pqxx::connection connection(dsn_);
      WorkNotification notification(connection, kWorkChannel);
      while (!stopping_) {
        if (!bus_.connected()) {
          std::this_thread::sleep_for(std::chrono::milliseconds(100));
          continue;
        }
        auto published = publish_due(connection);
        if (!published) {
          log::warn("work relay cannot publish; retrying",
                    {{"error", published.status().to_string()}});
          std::this_thread::sleep_for(backoff);
          backoff = std::min(backoff * 2, std::chrono::milliseconds(5000));
          continue;
        }
        backoff = std::chrono::milliseconds(100);
        if (*published == options_.batch_size) continue;
        auto micros = std::chrono::duration_cast<std::chrono::microseconds>(options_.idle_poll);
        connection.await_notification(micros.count() / 1000000, micros.count() % 1000000);
      }
    } catch (const std::exception& e) {
      log::warn("work relay lost the database; reconnecting", {{"error", e.what()}});
      std::this_thread::sleep_for(backoff);
      backoff = std::min(backoff * 2, std::chrono::milliseconds(5000));
    }
  }
}

}  // namespace mpli::delivery
