// The transactional outbox under a crash: 10,000 committed events, the relay (inside a real
// mpli-discovery process) killed with SIGKILL part-way, restarted; every event must reach the
// MPLI_EVENTS stream exactly once.
#include <signal.h>

#include <catch2/catch.hpp>
#include <set>

#include "libs/bus/jetstream.h"
#include "libs/db/migrations.h"
#include "libs/db/outbox.h"
#include "libs/testing/environment.h"
#include "mpli/common/v1/envelope.pb.h"

using namespace mpli;
using namespace std::chrono_literals;

namespace {
constexpr int kEvents = 10000;

long scalar(const std::string& dsn, const std::string& sql) {
  pqxx::connection c(dsn);
  pqxx::nontransaction tx(c);
  return tx.exec1(sql)[0].as<long>();
}

uint64_t stream_messages(bus::Connection& connection) {
  auto state = bus::stream_state(connection, "MPLI_EVENTS");
  return state.is_ok() ? state->messages : 0;
}
}  // namespace

TEST_CASE("outbox relay killed mid-way publishes every event exactly once after restart") {
  testing::TempDir dir;
  testing::TestNats nats(dir.path());
  testing::TestPostgres pg(dir.path());

  // Commit the events before any relay runs, as a busy service would have.
  std::set<std::string> enqueued;
  {
    pqxx::connection c(pg.dsn());
    REQUIRE(db::migrate(c, "discovery", {}).is_ok());
    for (int batch = 0; batch < kEvents / 100; ++batch) {
      pqxx::work tx(c);
      for (int i = 0; i < 100; ++i) {
        db::OutgoingEvent event{"mpli.events.discovery.v1.offering_added", "mpli.test.v1.Counter",
                                std::to_string(batch * 100 + i)};
        enqueued.insert(db::enqueue_event(tx, "discovery", "discovery", event));
      }
      tx.commit();
    }
  }
  REQUIRE(enqueued.size() == kEvents);

  bus::ConnectOptions options;
  options.url = nats.url();
  auto observer = bus::Connection::connect(options);
  REQUIRE(observer.is_ok());
  bus::Connection& bus = **observer;

  std::map<std::string, std::string> env = {{"MPLI_NATS_URL", nats.url()},
                                            {"MPLI_DATABASE_URL", pg.dsn()}};
  auto service = testing::start_binary("mpli-discovery", env, dir.path());
  testing::wait_until([&] { return stream_messages(bus) >= 1500; }, 60s, "relay starts publishing");
  REQUIRE(service.send_signal(SIGKILL).is_ok());
  service.wait_for(10s);
  uint64_t at_kill = stream_messages(bus);
  long unpublished_at_kill =
      scalar(pg.dsn(), "SELECT count(*) FROM discovery.outbox WHERE published_at IS NULL");
  INFO("stream held " << at_kill << " events when the relay was killed; " << unpublished_at_kill
                      << " rows were unpublished");
  REQUIRE(at_kill < kEvents);  // the crash really happened part-way
  REQUIRE(unpublished_at_kill > 0);

  auto restarted = testing::start_binary("mpli-discovery", env, dir.path());
  testing::wait_until(
      [&] {
        return scalar(pg.dsn(),
                      "SELECT count(*) FROM discovery.outbox WHERE published_at IS NULL") == 0;
      },
      90s, "restarted relay publishes the rest");
  REQUIRE(restarted.send_signal(SIGTERM).is_ok());
  REQUIRE(restarted.wait_for(20s).has_value());

  CHECK(stream_messages(bus) == kEvents);

  // Read the stream back and compare ids: none lost, none twice.
  bus::ConsumerSpec spec{"MPLI_EVENTS", "crash-test-reader", "", 60s, -1};
  auto reader = bus::PullConsumer::create(bus, spec);
  REQUIRE(reader.is_ok());
  std::multiset<std::string> received;
  while (true) {
    auto batch = (*reader)->fetch(1000, 2s);
    REQUIRE(batch.is_ok());
    if (batch->empty()) break;
    for (auto& delivered : *batch) {
      mpli::common::v1::Envelope envelope;
      REQUIRE(envelope.ParseFromString(delivered.message().data));
      CHECK(envelope.producer() == "discovery");
      received.insert(envelope.id());
      REQUIRE(delivered.ack().is_ok());
    }
  }
  std::set<std::string> distinct(received.begin(), received.end());
  long lost = 0;
  for (const auto& id : enqueued) lost += distinct.count(id) == 0 ? 1 : 0;
  long duplicated = static_cast<long>(received.size() - distinct.size());
  INFO("received " << received.size() << ", lost " << lost << ", duplicated " << duplicated);
  CHECK(lost == 0);
  CHECK(duplicated == 0);
  CHECK(received.size() == kEvents);
}
