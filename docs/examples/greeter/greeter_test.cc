// The example service runs: its endpoint answers (with a typed error for a bad name), its
// consumer counts name_seen events, and its statistics count the calls. Keeps the example in
// docs/development.md honest.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "libs/bus/call.h"
#include "libs/bus/jetstream.h"
#include "libs/core/ids.h"
#include "libs/testing/environment.h"
#include "mpli/common/v1/envelope.pb.h"
#include "mpli/examples/greeter/v1/greeter.pb.h"

using namespace mpli;
using namespace std::chrono_literals;
namespace v1 = mpli::examples::greeter::v1;

namespace {

Result<v1::SayHelloReply> say_hello(bus::Connection& bus, const std::string& name) {
  v1::SayHelloRequest request;
  request.set_name(name);
  return bus::call<v1::SayHelloReply>(bus, "mpli.greeter.v1.say_hello", request, 5s);
}

void publish_name_seen(bus::Connection& bus, const std::string& name) {
  v1::NameSeen event;
  event.set_name(name);
  common::v1::Envelope envelope;
  envelope.set_id(ids::new_uuid_v7());
  envelope.set_type("mpli.events.greeter.v1.name_seen");
  envelope.set_producer("greeter-test");
  envelope.set_payload_type(event.GetTypeName());
  envelope.set_payload(event.SerializeAsString());
  REQUIRE(bus::publish_durable(bus, envelope.type(), envelope.SerializeAsString(), envelope.id())
              .is_ok());
}

}  // namespace

TEST_CASE("the example greeter greets, counts name_seen events and refuses an empty name") {
  testing::TempDir dir;
  testing::TestNats nats(dir.path());
  testing::TestPostgres pg(dir.path());
  auto greeter = testing::start_binary(
      "mpli-example-greeter", {{"MPLI_NATS_URL", nats.url()}, {"MPLI_DATABASE_URL", pg.dsn()}},
      dir.path());
  bus::ConnectOptions options;
  options.url = nats.url();
  auto connected = bus::Connection::connect(options);
  REQUIRE(connected.is_ok());
  bus::Connection& bus = **connected;
  testing::wait_until([&] { return say_hello(bus, "Ada").is_ok(); }, 60s, "the greeter answers");

  auto first = say_hello(bus, "Ada");
  REQUIRE(first.is_ok());
  CHECK(first->greeting() == "Hello, Ada!");
  CHECK(first->times_seen() == 0);

  publish_name_seen(bus, "Ada");
  publish_name_seen(bus, "Ada");
  testing::wait_until(
      [&] {
        auto reply = say_hello(bus, "Ada");
        return reply.is_ok() && reply->times_seen() == 2;
      },
      30s, "both name_seen events are counted");
  CHECK(say_hello(bus, "Ada")->greeting() == "Hello again, Ada (seen 2 times)");

  auto refused = say_hello(bus, "");
  CHECK(refused.status().code() == StatusCode::kInvalidArgument);
  CHECK(refused.status().detail("reason") == "NAME_MISSING");
  CHECK(refused.status().detail("field") == "name");

  auto stats = bus.request("mpli.greeter.v1.stats", "", 5s);
  REQUIRE(stats.is_ok());
  auto parsed = nlohmann::json::parse(stats->data, nullptr, false);
  REQUIRE(parsed.is_object());
  REQUIRE(parsed["endpoints"].size() == 1);
  CHECK(parsed["endpoints"][0]["name"] == "say_hello");
  CHECK(parsed["endpoints"][0]["num_errors"].get<int>() >= 1);
}
