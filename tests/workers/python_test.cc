// workers/python/mpli_worker.py (standard library only) against a real nats-server, the test
// playing delivery: the protocol document is enough to write a worker.
#include <sys/stat.h>

#include <catch2/catch.hpp>

#include "libs/bus/jetstream.h"
#include "tests/workers/work_fixture.h"

namespace mpli::testing {
namespace {

process::ChildProcess start_python_worker(const std::string& url, const std::string& dir,
                                          std::vector<std::string> extra) {
  std::vector<std::string> args = {std::string(MPLI_SOURCE_DIR) + "/workers/python/mpli_worker.py",
                                   "--provider",
                                   "pyprov",
                                   "--progress-interval",
                                   "0.2",
                                   "--fetch-wait",
                                   "0.5",
                                   "--state-dir",
                                   dir + "/state"};
  args.insert(args.end(), extra.begin(), extra.end());
  return start_worker(MPLI_PYTHON3, args, {{"MPLI_NATS_URL", url}}, dir + "/python-worker.log");
}

TEST_CASE("python worker: one item end to end with the built-in echo") {
  TempDir dir;
  TestNats nats(dir.path());
  // Started first: it waits for its consumer.
  auto worker = start_python_worker(nats.url(), dir.path(), {});
  FakeDelivery delivery(nats.url(), "pyprov");
  delivery.publish(delivery.item("wrk_py", "provision"));
  auto outcome = delivery.outcome("wrk_py", 1);
  CHECK(outcome.kind() == "succeeded");
  CHECK(outcome.provider_id() == "pyprov");
  CHECK(outcome.outputs().at("size") == "10");
  CHECK(outcome.outputs().at("echo") == "provision");
  wait_until([&] { return delivery.pending_work() == 0; }, std::chrono::seconds(20),
             "the item is acked");
  // A new attempt of the finished item is answered from the journal.
  auto again = delivery.item("wrk_py", "provision");
  again.set_attempt(2);
  delivery.publish(again);
  CHECK(delivery.outcome("wrk_py", 2).kind() == "succeeded");
}

TEST_CASE("python worker: scripts with progress, success and a retryable failure") {
  TempDir dir;
  TestNats nats(dir.path());
  std::string scripts = dir.path() + "/scripts";
  ::mkdir(scripts.c_str(), 0755);
  write_script(scripts + "/make.sh", R"(#!/bin/sh
read -r input
sleep 1
printf '{"outputs":{"op":"%s","work":"%s"},"secrets":{"token":"t"}}' "$MPLI_OPERATION" "$MPLI_WORK_ID"
)");
  write_script(scripts + "/busy.sh", "#!/bin/sh\necho 'come back later' >&2\nexit 75\n");
  FakeDelivery delivery(nats.url(), "pyprov");
  auto worker = start_python_worker(nats.url(), dir.path(), {"--script-dir", scripts});
  delivery.publish(delivery.item("wrk_make", "modify", "make.sh"));
  delivery.publish(delivery.item("wrk_busy", "provision", "busy.sh"));
  delivery.publish(delivery.item("wrk_escape", "provision", "../make.sh"));
  auto made = delivery.outcome("wrk_make", 1);
  CHECK(made.kind() == "succeeded");
  CHECK(made.outputs().at("op") == "modify");
  CHECK(made.outputs().at("work") == "wrk_make");
  CHECK(made.secrets().at("token") == "t");
  CHECK_FALSE(delivery.progress.empty());  // the script took longer than the progress interval
  auto busy = delivery.outcome("wrk_busy", 1);
  CHECK(busy.kind() == "failed");
  CHECK(busy.retryable());
  CHECK(busy.message() == "come back later");
  auto escape = delivery.outcome("wrk_escape", 1);
  CHECK(escape.kind() == "failed");
  CHECK_FALSE(escape.retryable());
}

TEST_CASE("python worker: hostile and foreign items are dropped, the next one is handled") {
  TempDir dir;
  TestNats nats(dir.path());
  FakeDelivery delivery(nats.url(), "pyprov");
  auto worker = start_python_worker(nats.url(), dir.path(), {});
  const std::string subject = "mpli.work.v1.pyprov.provision";
  int n = 0;
  for (const std::string body :
       {"{\"work_id\": 12", "[1,2]", "\xff\xfe", R"({"work_id":"w","attempt":"x"})",
        R"({"work_id":"w","attempt":1,"provider_id":"other","operation":"provision"})"}) {
    REQUIRE(
        bus::publish_durable(delivery.connection(), subject, body, "hostile." + std::to_string(++n))
            .is_ok());
  }
  auto odd = delivery.item("wrk_odd", "provision");
  delivery.publish(odd);
  // Parameters of the wrong type reach the handler's error path: a failed outcome, no crash.
  REQUIRE(bus::publish_durable(delivery.connection(), subject,
                               R"({"work_id":"wrk_badparams","attempt":1,"provider_id":"pyprov",)"
                               R"("operation":"provision","parameters":[1]})",
                               "wrk_badparams.1")
              .is_ok());
  CHECK(delivery.outcome("wrk_odd", 1).kind() == "succeeded");
  auto bad = delivery.outcome("wrk_badparams", 1);
  CHECK(bad.kind() == "failed");
  CHECK_FALSE(bad.retryable());
  wait_until([&] { return delivery.pending_work() == 0; }, std::chrono::seconds(20),
             "every item is settled");
  CHECK(worker.running());
}

}  // namespace
}  // namespace mpli::testing
