// Edges of the service kit: an endpoint with handlers.queue_limit=0 means "no waiting room",
// not "refuse everything" (it did refuse everything); a durable consumer whose subjects changed
// between releases consumes the new ones (it does: the server updates the durable).
#include <google/protobuf/wrappers.pb.h>

#include <catch2/catch.hpp>
#include <future>

#include "libs/bus/call.h"
#include "libs/bus/jetstream.h"
#include "libs/service/event_consumer.h"
#include "libs/testing/environment.h"

using namespace mpli;
using namespace std::chrono_literals;
using google::protobuf::StringValue;

namespace {

Result<StringValue> echo(bus::Connection& bus, const std::string& text,
                         std::chrono::milliseconds deadline = 5s) {
  StringValue request;
  request.set_value(text);
  return bus::call<StringValue>(bus, "mpli.probe.v1.echo", request, deadline);
}

std::unique_ptr<bus::Connection> connect(const std::string& url) {
  bus::ConnectOptions options;
  options.url = url;
  auto connected = bus::Connection::connect(options);
  REQUIRE(connected.is_ok());
  REQUIRE((*connected)->wait_connected(10s).is_ok());
  return std::move(connected).value();
}

}  // namespace

TEST_CASE(
    "with queue_limit 0 an endpoint takes requests while a handler is free, refuses the rest") {
  testing::TempDir dir;
  testing::TestNats nats(dir.path());
  testing::TestPostgres pg(dir.path());
  auto bus = connect(nats.url());
  std::atomic<int> started{0};
  auto sub = bus->subscribe("mpli.probe.v1.echo_started", [&](const bus::Message&) { ++started; });
  REQUIRE(sub.is_ok());
  REQUIRE(bus->flush(5s).is_ok());
  auto probe = testing::start_binary("mpli-test-consumer",
                                     {{"MPLI_NATS_URL", nats.url()},
                                      {"MPLI_DATABASE_URL", pg.dsn()},
                                      {"MPLI_HANDLERS_CONCURRENCY", "1"},
                                      {"MPLI_HANDLERS_QUEUE_LIMIT", "0"}},
                                     dir.path());
  testing::wait_until([&] { return bus->request("mpli.probe.v1.stats", "", 500ms).is_ok(); }, 30s,
                      "the probe serves");

  // Idle: taken, one after another.
  for (int i = 0; i < 3; ++i) {
    auto answer = echo(*bus, "hi");
    INFO(answer.status().to_string());
    CHECK(answer.is_ok());
  }
  // The only handler busy: refused at once.
  auto slow = std::async(std::launch::async, [&] { return echo(*bus, "sleep:2000", 20s); });
  testing::wait_until([&] { return started >= 1; }, 10s, "the slow request holds the handler");
  auto refused = echo(*bus, "hi");
  CHECK(refused.status().code() == StatusCode::kBusy);
  CHECK(slow.get().is_ok());
  CHECK(echo(*bus, "hi").is_ok());  // free again
}

TEST_CASE("a durable consumer created again with other subjects consumes the new subjects") {
  testing::TempDir dir;
  testing::TestNats nats(dir.path());
  auto bus = connect(nats.url());
  REQUIRE(bus::ensure_stream(*bus, bus::events_stream()).is_ok());

  // Release 1 consumed mpli.events.a.v1.>, release 2 consumes mpli.events.b.v1.>.
  service::EventConsumerSpec spec;
  spec.durable = "edge-reader";
  spec.subjects = {"mpli.events.a.v1.>"};
  {
    auto first = service::EventConsumer::create(
        *bus, spec, [](const bus::Message&, const service::Delivery&) { return Status::ok(); });
    REQUIRE(first.is_ok());
  }
  std::atomic<int> seen{0};
  spec.subjects = {"mpli.events.b.v1.>"};
  auto second = service::EventConsumer::create(
      *bus, spec, [&](const bus::Message& message, const service::Delivery&) {
        if (message.subject == "mpli.events.b.v1.happened") ++seen;
        return Status::ok();
      });
  INFO(second.status().to_string());
  REQUIRE(second.is_ok());
  REQUIRE(bus::publish_durable(*bus, "mpli.events.b.v1.happened", "x", "edge-1").is_ok());

  service::StopSource stop;
  std::thread loop([&] { (*second)->run(stop.token()); });
  bool arrived = false;
  try {
    testing::wait_until([&] { return seen >= 1; }, 15s, "the event on the new subject arrives");
    arrived = true;
  } catch (const std::exception& e) {
    INFO(e.what());
  }
  stop.request_stop();
  loop.join();
  CHECK(arrived);
  CHECK((*second)->counters().acked == 1);
}
