#include "libs/worker/work_json.h"

#include <catch2/catch.hpp>

#include "libs/worker/worker.h"

namespace mpli::worker {
namespace {

const char* const kItem = R"({"work_id":"wrk_1","attempt":2,"order_id":"ord_1",
  "provider_id":"acme","operation":"provision","artifact":"db/create.sh",
  "parameters":{"size":"10"},"deadline_unix_ms":"1700000000000","quantity":1,
  "a_field_from_the_future":{"x":[1,2]}})";

TEST_CASE("a work item decodes, unknown fields ignored, int64 as string or number") {
  auto item = decode_work_item(kItem);
  REQUIRE(item.is_ok());
  CHECK(item->work_id() == "wrk_1");
  CHECK(item->attempt() == 2);
  CHECK(item->provider_id() == "acme");
  CHECK(item->parameters().at("size") == "10");
  CHECK(item->deadline_unix_ms() == 1700000000000);
  auto as_number =
      decode_work_item(R"({"work_id":"w","attempt":1,"provider_id":"p","operation":"o",)"
                       R"("deadline_unix_ms":1700000000001})");
  REQUIRE(as_number.is_ok());
  CHECK(as_number->deadline_unix_ms() == 1700000000001);
}

TEST_CASE("a task's work item carries its task id, migration id and secrets to the handler") {
  auto item =
      decode_work_item(R"({"work_id":"w","attempt":1,"provider_id":"p","operation":"import",)"
                       R"("task_id":"tsk_1","migration_id":"mig_1",)"
                       R"("secrets":{"source_migration_password":"s3cret"}})");
  REQUIRE(item.is_ok());
  CHECK(item->task_id() == "tsk_1");
  CHECK(item->migration_id() == "mig_1");
  CHECK(item->secrets().at("source_migration_password") == "s3cret");
  auto order_item = decode_work_item(kItem);
  REQUIRE(order_item.is_ok());
  CHECK(order_item->task_id().empty());
  CHECK(order_item->secrets().empty());
}

TEST_CASE("a work item round-trips through the canonical JSON with snake_case keys") {
  auto item = decode_work_item(kItem);
  REQUIRE(item.is_ok());
  std::string json = encode_work_item(*item);
  CHECK(json.find("\"work_id\"") != std::string::npos);
  CHECK(json.find("\"deadline_unix_ms\":\"1700000000000\"") != std::string::npos);
  auto again = decode_work_item(json);
  REQUIRE(again.is_ok());
  CHECK(again->SerializeAsString() == item->SerializeAsString());
}

TEST_CASE("hostile work items are refused with a clear error and no crash") {
  const std::vector<std::string> hostile = {
      "",
      "{",
      R"({"work_id":"w","attempt":1,"provider_id":"p","operation":"o")",  // truncated
      "[]",
      "null",
      R"({"work_id":5,"attempt":1,"provider_id":"p","operation":"o"})",
      R"({"work_id":"w","attempt":"many","provider_id":"p","operation":"o"})",
      R"({"work_id":"w","attempt":1.5,"provider_id":"p","operation":"o"})",
      R"({"work_id":"w","attempt":99999999999,"provider_id":"p","operation":"o"})",
      R"({"work_id":"w","attempt":1,"provider_id":"p","operation":"o","parameters":[1]})",
      R"({"work_id":"w","attempt":1,"provider_id":"p","operation":"o","parameters":{"a":1}})",
      R"({"work_id":"w","attempt":1,"provider_id":"p","operation":"o","deadline_unix_ms":"x"})",
      std::string(10000, '[') + std::string(10000, ']'),
      std::string("{\"work_id\":\"\xff\xfe\",\"attempt\":1}"),
      R"({"attempt":1,"provider_id":"p","operation":"o"})",    // no work_id
      R"({"work_id":"w","provider_id":"p","operation":"o"})",  // no attempt
      R"({"work_id":"w","attempt":1,"operation":"o"})",        // no provider
  };
  for (const auto& text : hostile) {
    INFO(text.substr(0, 80));
    auto item = decode_work_item(text);
    CHECK_FALSE(item.is_ok());
    CHECK(item.status().code() == StatusCode::kInvalidArgument);
    CHECK_FALSE(item.status().message().empty());
  }
}

TEST_CASE("update message ids and finished outcomes") {
  delivery::v1::WorkUpdate update;
  update.set_work_id("wrk_1");
  update.set_attempt(3);
  update.set_sequence(7);
  CHECK(update_msg_id(update) == "wrk_1.3.7");
  update.set_kind("progress");
  CHECK_FALSE(is_final(update));
  update.set_kind("failed");
  update.set_retryable(true);
  CHECK_FALSE(is_final(update));
  update.set_retryable(false);
  CHECK(is_final(update));
  update.set_kind("succeeded");
  CHECK(is_final(update));
}

TEST_CASE("subject and consumer names") {
  CHECK(work_subject("acme", "provision") == "mpli.work.v1.acme.provision");
  CHECK(result_subject("acme") == "mpli.work.v1.result.acme");
  CHECK(worker_consumer("acme") == "worker-acme");
}

TEST_CASE("worker options are checked") {
  WorkerOptions options;
  CHECK(Worker::create(options).status().code() == StatusCode::kInvalidArgument);
  options.provider_id = "result";
  CHECK(Worker::create(options).status().code() == StatusCode::kInvalidArgument);
  options.provider_id = "a.b";
  CHECK(Worker::create(options).status().code() == StatusCode::kInvalidArgument);
}

std::vector<char*> argv_of(std::vector<std::string>& args) {
  std::vector<char*> argv;
  argv.reserve(args.size());
  for (auto& arg : args) argv.push_back(arg.data());
  return argv;
}

TEST_CASE("worker flags: the password comes from a file, never an argument") {
  std::vector<std::string> args = {"w",     "--provider", "acme", "--concurrency=3", "--script-dir",
                                   "/tmp/s"};
  std::vector<char*> argv = argv_of(args);
  auto flags = parse_worker_flags(static_cast<int>(argv.size()), argv.data(), {"--script-dir"});
  REQUIRE(flags.is_ok());
  CHECK(flags->options.provider_id == "acme");
  CHECK(flags->options.concurrency == 3);
  CHECK(flags->extra.at("--script-dir") == "/tmp/s");

  std::vector<std::string> bad = {"w", "--provider", "acme", "--nats-password", "hunter2"};
  argv = argv_of(bad);
  auto refused = parse_worker_flags(static_cast<int>(argv.size()), argv.data(), {});
  REQUIRE_FALSE(refused.is_ok());
  CHECK(refused.status().message().find("hunter2") == std::string::npos);

  std::vector<std::string> zero = {"w", "--provider", "acme", "--concurrency", "0"};
  argv = argv_of(zero);
  CHECK_FALSE(parse_worker_flags(static_cast<int>(argv.size()), argv.data(), {}).is_ok());
}

}  // namespace
}  // namespace mpli::worker
