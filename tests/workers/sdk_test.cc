// The C++ worker SDK against a real nats-server, the test playing delivery.
#include <atomic>
#include <catch2/catch.hpp>
#include <thread>

#include "libs/worker/work_json.h"
#include "libs/worker/worker.h"
#include "tests/workers/work_fixture.h"

namespace mpli::testing {
namespace {

using worker::Outcome;
using worker::Progress;
using worker::Work;

struct RunningWorker {
  RunningWorker(const std::string& url, const std::string& provider, const std::string& state_dir,
                const std::function<void(worker::Worker&)>& setup) {
    worker::WorkerOptions options;
    options.nats_url = url;
    options.provider_id = provider;
    options.state_dir = state_dir;
    options.concurrency = 2;
    options.progress_interval = std::chrono::milliseconds(100);
    options.fetch_wait = std::chrono::milliseconds(200);
    auto created = worker::Worker::create(options);
    REQUIRE(created.is_ok());
    worker = std::move(created).value();
    setup(*worker);
    thread = std::thread([this] { (void)worker->run(); });
  }
  ~RunningWorker() {
    worker->stop();
    thread.join();
  }
  std::unique_ptr<worker::Worker> worker;
  std::thread thread;
};

TEST_CASE("sdk: a succeeded outcome carries outputs and secrets, and the item is acked") {
  TempDir dir;
  TestNats nats(dir.path());
  // The worker starts before its consumer exists: it waits for delivery to create it.
  RunningWorker running(nats.url(), "acme", dir.path() + "/state", [](worker::Worker& w) {
    w.on("provision", [](const Work& work, Progress&) {
      return Outcome::success({{"size", work.parameters().at("size")}, {"order", work.order_id()}},
                              {{"password", "pw-" + work.work_id()}}, "made");
    });
  });
  FakeDelivery delivery(nats.url(), "acme");
  delivery.publish(delivery.item("wrk_ok", "provision"));
  auto outcome = delivery.outcome("wrk_ok", 1);
  CHECK(outcome.kind() == "succeeded");
  CHECK(outcome.provider_id() == "acme");
  CHECK(outcome.outputs().at("size") == "10");
  CHECK(outcome.outputs().at("order") == "ord_wrk_ok");
  CHECK(outcome.secrets().at("password") == "pw-wrk_ok");
  CHECK(outcome.message() == "made");
  CHECK(outcome.sequence() >= 1);
  wait_until([&] { return delivery.pending_work() == 0; }, std::chrono::seconds(20),
             "the item is acked (removed from the work queue)");
}

TEST_CASE("sdk: a slow handler sends progress updates until it finishes") {
  TempDir dir;
  TestNats nats(dir.path());
  FakeDelivery delivery(nats.url(), "acme");
  std::atomic<bool> release{false};
  RunningWorker running(nats.url(), "acme", "", [&](worker::Worker& w) {
    w.on("provision", [&](const Work&, Progress& progress) {
      progress.report(50, "half way");
      while (!release.load()) std::this_thread::sleep_for(std::chrono::milliseconds(20));
      return Outcome::success();
    });
  });
  delivery.publish(delivery.item("wrk_slow", "provision"));
  std::vector<delivery::v1::WorkUpdate> seen;
  while (seen.size() < 3) {
    auto update = delivery.next_update();
    REQUIRE(update.kind() == "progress");
    seen.push_back(update);
  }
  release = true;
  auto outcome = delivery.outcome("wrk_slow", 1);
  CHECK(outcome.kind() == "succeeded");
  CHECK(seen[0].percent() == 50);
  CHECK(seen[0].message() == "half way");
  for (size_t i = 1; i < seen.size(); ++i) CHECK(seen[i].sequence() > seen[i - 1].sequence());
  CHECK(outcome.sequence() > seen.back().sequence());
}

TEST_CASE("sdk: failures are reported with their retryability") {
  TempDir dir;
  TestNats nats(dir.path());
  FakeDelivery delivery(nats.url(), "acme");
  RunningWorker running(nats.url(), "acme", "", [](worker::Worker& w) {
    w.on("provision", [](const Work&, Progress&) { return Outcome::failure("try later", true); });
    w.on("modify", [](const Work&, Progress&) -> Outcome { throw std::runtime_error("bug"); });
  });
  delivery.publish(delivery.item("wrk_retry", "provision"));
  delivery.publish(delivery.item("wrk_throw", "modify"));
  delivery.publish(delivery.item("wrk_unknown", "export"));
  auto retry = delivery.outcome("wrk_retry", 1);
  CHECK(retry.kind() == "failed");
  CHECK(retry.retryable());
  CHECK(retry.message() == "try later");
  auto thrown = delivery.outcome("wrk_throw", 1);
  CHECK(thrown.kind() == "failed");
  CHECK_FALSE(thrown.retryable());
  CHECK(thrown.message().find("bug") != std::string::npos);
  auto unknown = delivery.outcome("wrk_unknown", 1);
  CHECK(unknown.kind() == "failed");
  CHECK_FALSE(unknown.retryable());
}

TEST_CASE("sdk: items of another provider and malformed items are dropped, not handled") {
  TempDir dir;
  TestNats nats(dir.path());
  FakeDelivery delivery(nats.url(), "acme");
  std::atomic<int> runs{0};
  RunningWorker running(nats.url(), "acme", "", [&](worker::Worker& w) {
    w.on("provision", [&](const Work&, Progress&) {
      ++runs;
      return Outcome::success();
    });
  });
  auto foreign = delivery.item("wrk_foreign", "provision");
  foreign.set_provider_id("other");
  auto published = bus::publish_durable(delivery.connection(), "mpli.work.v1.acme.provision",
                                        worker::encode_work_item(foreign), "foreign.1");
  REQUIRE(published.is_ok());
  REQUIRE(bus::publish_durable(delivery.connection(), "mpli.work.v1.acme.provision",
                               "{\"work_id\": 12", "garbage.1")
              .is_ok());
  delivery.publish(delivery.item("wrk_mine", "provision"));
  auto outcome = delivery.outcome("wrk_mine", 1);
  CHECK(outcome.kind() == "succeeded");
  wait_until([&] { return delivery.pending_work() == 0; }, std::chrono::seconds(20),
             "the dropped items are settled too");
  CHECK(runs.load() == 1);
}

TEST_CASE("sdk: the journal answers a finished item's new attempt without running it again") {
  TempDir dir;
  TestNats nats(dir.path());
  FakeDelivery delivery(nats.url(), "acme");
  std::atomic<int> runs{0};
  auto setup = [&](worker::Worker& w) {
    w.on("provision", [&](const Work&, Progress&) {
      ++runs;
      return Outcome::success({{"host", "db"}}, {{"password", "p"}});
    });
  };
  {
    RunningWorker first(nats.url(), "acme", dir.path() + "/state", setup);
    delivery.publish(delivery.item("wrk_once", "provision"));
    CHECK(delivery.outcome("wrk_once", 1).kind() == "succeeded");
  }
  RunningWorker second(nats.url(), "acme", dir.path() + "/state", setup);
  auto again = delivery.item("wrk_once", "provision");
  again.set_attempt(2);
  delivery.publish(again);
  auto outcome = delivery.outcome("wrk_once", 2);
  CHECK(outcome.kind() == "succeeded");
  CHECK(outcome.outputs().at("host") == "db");
  CHECK(outcome.secrets().at("password") == "p");
  CHECK(runs.load() == 1);
}

TEST_CASE("sdk: the worker carries on after NATS was away") {
  TempDir dir;
  TestNats nats(dir.path());
  std::atomic<int> runs{0};
  RunningWorker running(nats.url(), "acme", dir.path() + "/state", [&](worker::Worker& w) {
    w.on("provision", [&](const Work&, Progress&) {
      ++runs;
      return Outcome::success({{"n", std::to_string(runs.load())}});
    });
  });
  {
    FakeDelivery delivery(nats.url(), "acme");
    delivery.publish(delivery.item("wrk_before", "provision"));
    CHECK(delivery.outcome("wrk_before", 1).kind() == "succeeded");
  }
  nats.stop();
  nats.start();
  FakeDelivery delivery(nats.url(), "acme");
  delivery.publish(delivery.item("wrk_after", "provision"));
  auto outcome = delivery.outcome("wrk_after", 1);
  CHECK(outcome.kind() == "succeeded");
  CHECK(runs.load() == 2);
}

}  // namespace
}  // namespace mpli::testing
