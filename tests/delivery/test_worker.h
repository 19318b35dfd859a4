// A provider's worker played by a delivery test: it binds to the worker-<provider> consumer
// delivery creates, reads WorkItems as JSON and answers WorkUpdates as JSON, the way a worker in
// any language would.
#pragma once

#include <google/protobuf/util/json_util.h>

#include <catch2/catch.hpp>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "libs/bus/jetstream.h"
#include "libs/testing/environment.h"
#include "mpli/delivery/v1/delivery.pb.h"

namespace mpli::delivery::test {

inline std::string to_json(const google::protobuf::Message& message) {
  std::string json;
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  REQUIRE(google::protobuf::util::MessageToJsonString(message, &json, options).ok());
  return json;
}

class TestWorker {
 public:
  TestWorker(bus::Connection& bus, std::string provider)
      : bus_(bus), provider_(std::move(provider)) {}

  // The next work item, with its headers checked; acked (the test answers for it). Waits for
  // delivery to create the consumer first.
  v1::WorkItem next() {
    using namespace std::chrono_literals;
    std::optional<v1::WorkItem> item;
    testing::wait_until(
        [&] {
          if (!consumer_) {
            auto bound = bus::PullConsumer::bind(bus_, "MPLI_WORK", "worker-" + provider_);
            if (!bound.is_ok()) return false;
            consumer_ = std::move(bound).value();
          }
          auto batch = consumer_->fetch(1, 500ms);
          if (!batch.is_ok() || batch->empty()) return false;
          auto& delivered = batch->front();
          const bus::Message& message = delivered.message();
          CHECK(message.header("Content-Type") == "application/json");
          v1::WorkItem parsed;
          REQUIRE(google::protobuf::util::JsonStringToMessage(message.data, &parsed).ok());
          CHECK(message.header("Nats-Msg-Id") ==
                parsed.work_id() + "." + std::to_string(parsed.attempt()));
          CHECK(message.subject == "mpli.work.v1." + provider_ + "." + parsed.operation());
          // The JSON keys are the proto field names (snake_case).
          CHECK(message.data.find("\"work_id\"") != std::string::npos);
          REQUIRE(delivered.ack().is_ok());
          item = parsed;
          return true;
        },
        30s, "a work item arrives for " + provider_);
    return *item;
  }

  void answer(const v1::WorkItem& item, const std::string& kind,
              std::map<std::string, std::string> outputs = {},
              std::map<std::string, std::string> secrets = {}, bool retryable = false) {
    answer_as(provider_, provider_, item, kind, std::move(outputs), std::move(secrets), retryable);
  }

  // An update on `subject_provider`'s result subject claiming to come from `claimed_provider`.
  void answer_as(const std::string& subject_provider, const std::string& claimed_provider,
                 const v1::WorkItem& item, const std::string& kind,
                 std::map<std::string, std::string> outputs = {},
                 std::map<std::string, std::string> secrets = {}, bool retryable = false) {
    v1::WorkUpdate update;
    update.set_work_id(item.work_id());
    update.set_attempt(item.attempt());
    update.set_provider_id(claimed_provider);
    update.set_kind(kind);
    update.set_message(kind == "failed" ? "the test worker says no" : "done by the test worker");
    update.set_retryable(retryable);
    update.set_sequence(++sequence_);
    for (auto& [k, v] : outputs) (*update.mutable_outputs())[k] = v;
    for (auto& [k, v] : secrets) (*update.mutable_secrets())[k] = v;
    auto ack = bus::publish_durable(
        bus_, "mpli.work.v1.result." + subject_provider, to_json(update),
        item.work_id() + "." + std::to_string(item.attempt()) + "." + std::to_string(sequence_),
        {{"Content-Type", "application/json"}});
    INFO(ack.status().to_string());
    REQUIRE(ack.is_ok());
  }

 private:
  bus::Connection& bus_;
  std::string provider_;
  std::unique_ptr<bus::PullConsumer> consumer_;
  int sequence_ = 0;
};

}  // namespace mpli::delivery::test
