// The service kit's event consumer under crashes: 10,000 events on MPLI_EVENTS applied by a
// real service process (mpli-test-consumer) that is SIGKILLed three times part-way and
// restarted: twice wherever it is (most likely inside a transaction), once between an event's
// commit and its ack (the probe stalls there on one event), so that event comes again. Every good
// event must be applied exactly once (compared by id), the poison events must end in MPLI_DEAD
// with their error and attempts, and they must not hold the others up.
#include <signal.h>
#include <sys/wait.h>

#include <catch2/catch.hpp>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>
#include <set>

#include "libs/bus/jetstream.h"
#include "libs/core/ids.h"
#include "libs/testing/environment.h"
#include "mpli/common/v1/envelope.pb.h"

using namespace mpli;
using namespace std::chrono_literals;

namespace {

constexpr int kEvents = 10000;
constexpr const char* kSubject = "mpli.events.probe.v1.happened";
constexpr const char* kDurable = "probe-applier";
constexpr int kMaxAttempts = 3;

long scalar(const std::string& dsn, const std::string& sql) {
  pqxx::connection c(dsn);
  pqxx::nontransaction tx(c);
  return tx.exec1(sql)[0].as<long>();
}

// 0 until the probe has created its schema.
long applied_rows(const std::string& dsn) {
  try {
    return scalar(dsn, "SELECT count(*) FROM probe.applied");
  } catch (const pqxx::sql_error&) {
    return 0;
  }
}

// The consumer's state from the JetStream API ($JS.API.CONSUMER.INFO), as JSON.
nlohmann::json consumer_info(bus::Connection& bus, const std::string& stream,
                             const std::string& durable) {
  auto reply = bus.request("$JS.API.CONSUMER.INFO." + stream + "." + durable, "", 2s);
  if (!reply) return nlohmann::json::object();
  return nlohmann::json::parse(reply->data, nullptr, false);
}

// Nothing waiting and nothing delivered but unsettled (naks with a delay count as pending).
bool consumer_settled(bus::Connection& bus) {
  auto info = consumer_info(bus, "MPLI_EVENTS", kDurable);
  return info.is_object() && info.contains("num_pending") && info["num_pending"] == 0 &&
         info["num_ack_pending"] == 0 && info["num_waiting"].is_number();
}

struct Published {
  std::set<std::string> good;
  std::string poison;  // permanent error: dead at its first delivery
  std::string doomed;  // transient error every time: dead after kMaxAttempts
  std::string flaky;   // transient error twice, then applied (it is also in `good`)
  std::string stall;   // the probe stalls after committing it, before the ack (also in `good`)
};

Published publish_events(bus::Connection& bus) {
  Published published;
  for (int i = 0; i < kEvents; ++i) {
    common::v1::Envelope envelope;
    envelope.set_id(ids::new_uuid_v7());
    envelope.set_type(kSubject);
    envelope.set_producer("consumer-crash-test");
    envelope.set_payload_type("text");
    std::string kind = i == 100    ? "poison"
                       : i == 200  ? "doomed"
                       : i == 300  ? "flaky"
                       : i == 5000 ? "stall"
                                   : "good";
    envelope.set_payload(kind);
    auto ack = bus::publish_durable(bus, kSubject, envelope.SerializeAsString(), envelope.id());
    REQUIRE(ack.is_ok());
    REQUIRE_FALSE(ack->duplicate);
    if (kind == "poison") {
      published.poison = envelope.id();
    } else if (kind == "doomed") {
      published.doomed = envelope.id();
    } else {
      published.good.insert(envelope.id());
      if (kind == "flaky") published.flaky = envelope.id();
      if (kind == "stall") published.stall = envelope.id();
    }
  }
  return published;
}

// Every message of MPLI_DEAD for the probe's consumer, by the event id it carries.
std::map<std::string, bus::Message> dead_letters(bus::Connection& bus, size_t expected) {
  bus::ConsumerSpec spec{"MPLI_DEAD", "crash-test-dead-reader", "mpli.dead.probe-applier", 60s, -1};
  auto reader = bus::PullConsumer::create(bus, spec);
  REQUIRE(reader.is_ok());
  std::map<std::string, bus::Message> out;
  for (int round = 0; round < 20 && out.size() < expected; ++round) {
    auto batch = (*reader)->fetch(100, 500ms);
    REQUIRE(batch.is_ok());
    for (auto& delivered : *batch) {
      out[delivered.message().header("Mpli-Dead-Event-Id")] = delivered.message();
      REQUIRE(delivered.ack().is_ok());
    }
  }
  // One more look: a copy too many would show here.
  auto extra = (*reader)->fetch(100, 500ms);
  REQUIRE(extra.is_ok());
  CHECK(extra->empty());
  return out;
}

}  // namespace

TEST_CASE(
    "a consumer killed three times applies every event exactly once and dead-letters poison") {
  testing::TempDir dir;
  testing::TestNats nats(dir.path());
  testing::TestPostgres pg(dir.path());
  bus::ConnectOptions options;
  options.url = nats.url();
  auto connected = bus::Connection::connect(options);
  REQUIRE(connected.is_ok());
  bus::Connection& bus = **connected;
  REQUIRE(bus.wait_connected(10s).is_ok());
  REQUIRE(bus::ensure_stream(bus, bus::events_stream()).is_ok());

  Published published = publish_events(bus);
  REQUIRE(published.good.size() == kEvents - 2);

  std::map<std::string, std::string> env = {
      {"MPLI_NATS_URL", nats.url()},
      {"MPLI_DATABASE_URL", pg.dsn()},
      {"MPLI_PROBE_CONSUME", "true"},
      {"MPLI_PROBE_APPLY_WORK", "1ms"},
      {"MPLI_PROBE_ACK_WAIT", "2s"},
      {"MPLI_PROBE_MAX_ATTEMPTS", std::to_string(kMaxAttempts)},
      {"MPLI_PROBE_BACKOFF_BASE", "300ms"},
      {"MPLI_DATABASE_POOL_SIZE", "2"}};
  std::mutex stalled_mutex;
  std::string stalled;  // the event id the probe said it stalls on
  auto stalled_sub = bus.subscribe("mpli.probe.v1.stalled", [&](const bus::Message& m) {
    std::lock_guard<std::mutex> lock(stalled_mutex);
    stalled = m.data;
  });
  REQUIRE(stalled_sub.is_ok());
  REQUIRE(bus.flush(5s).is_ok());
  auto stalled_on = [&] {
    std::lock_guard<std::mutex> lock(stalled_mutex);
    return stalled;
  };

  auto consumer = testing::start_binary("mpli-test-consumer", env, dir.path());
  std::vector<long> at_kill;
  auto kill_and_restart = [&] {
    REQUIRE(consumer.send_signal(SIGKILL).is_ok());
    auto status = consumer.wait_for(10s);
    REQUIRE(status.has_value());
    REQUIRE(WIFSIGNALED(*status));
    at_kill.push_back(applied_rows(pg.dsn()));
    consumer = testing::start_binary("mpli-test-consumer", env, dir.path());
  };
  // 1. Wherever it is, once it has applied 2,000.
  testing::wait_until([&] { return applied_rows(pg.dsn()) >= 2000; }, 60s,
                      "the consumer applies 2000 events");
  kill_and_restart();
  // 2. Between the stalling event's commit and its ack.
  testing::wait_until([&] { return !stalled_on().empty(); }, 60s,
                      "the consumer commits the stalling event");
  REQUIRE(stalled_on() == published.stall);
  kill_and_restart();
  // 3. Wherever it is, once it has applied 8,000.
  testing::wait_until([&] { return applied_rows(pg.dsn()) >= 8000; }, 60s,
                      "the consumer applies 8000 events");
  kill_and_restart();
  INFO("applied rows when killed: " << at_kill[0] << ", " << at_kill[1] << ", " << at_kill[2]);
  REQUIRE(at_kill.back() < static_cast<long>(published.good.size()));  // the kills were part-way

  testing::wait_until(
      [&] { return applied_rows(pg.dsn()) >= static_cast<long>(published.good.size()); }, 90s,
      "the restarted consumer applies every good event");
  // Redeliveries of events applied just before a kill are still settling: wait until the
  // consumer holds nothing, so a duplicate apply would be in the table by now.
  testing::wait_until([&] { return consumer_settled(bus); }, 60s,
                      "the consumer has nothing pending or unacknowledged");
  REQUIRE(consumer.send_signal(SIGTERM).is_ok());
  auto stopped = consumer.wait_for(20s);
  REQUIRE(stopped.has_value());
  CHECK(WIFEXITED(*stopped));
  CHECK(WEXITSTATUS(*stopped) == 0);

  // Exactly once: one row per good event, the same ids as published.
  pqxx::connection c(pg.dsn());
  pqxx::nontransaction tx(c);
  long rows = tx.exec1("SELECT count(*) FROM probe.applied")[0].as<long>();
  long distinct = tx.exec1("SELECT count(DISTINCT event_id) FROM probe.applied")[0].as<long>();
  std::set<std::string> applied_ids;
  for (const auto& row : tx.exec("SELECT event_id FROM probe.applied")) {
    applied_ids.insert(row[0].as<std::string>());
  }
  std::set<pid_t> applying_pids;
  for (const auto& row : tx.exec("SELECT DISTINCT pid FROM probe.applied")) {
    applying_pids.insert(row[0].as<int>());
  }
  INFO("rows " << rows << ", distinct ids " << distinct << ", processes " << applying_pids.size());
  CHECK(rows == static_cast<long>(published.good.size()));
  CHECK(distinct == rows);
  CHECK(applied_ids == published.good);
  CHECK(applying_pids.size() >= 3);  // the work really was spread over the restarts
  // The event committed before the kill came again and was recognised, not applied twice.
  CHECK(tx.exec_params1("SELECT count(*) FROM probe.redelivered WHERE event_id = $1",
                        published.stall)[0]
            .as<long>() >= 1);
  CHECK(
      tx.exec_params1("SELECT count(*) FROM probe.applied WHERE event_id = $1", published.stall)[0]
          .as<long>() == 1);
  CHECK(tx.exec1("SELECT count(*) FROM probe.applied_events WHERE consumer = 'probe-applier'")[0]
            .as<long>() == rows);

  // The poison events are in MPLI_DEAD with why and after how many attempts.
  auto dead = dead_letters(bus, 2);
  REQUIRE(dead.size() == 2);
  REQUIRE(dead.count(published.poison) == 1);
  REQUIRE(dead.count(published.doomed) == 1);
  const bus::Message& poison = dead.at(published.poison);
  CHECK(poison.subject == "mpli.dead.probe-applier");
  CHECK(poison.header("Mpli-Dead-Subject") == kSubject);
  CHECK(poison.header("Mpli-Dead-Code") == "invalid_argument");
  CHECK(poison.header("Mpli-Dead-Error").find("poison event") != std::string::npos);
  CHECK(poison.header("Mpli-Dead-Attempts") == "1");
  common::v1::Envelope original;
  REQUIRE(original.ParseFromString(poison.data));  // the body is kept as it was
  CHECK(original.id() == published.poison);
  const bus::Message& doomed = dead.at(published.doomed);
  CHECK(doomed.header("Mpli-Dead-Code") == "unavailable");
  CHECK(doomed.header("Mpli-Dead-Error").find("fails every time") != std::string::npos);
  CHECK(doomed.header("Mpli-Dead-Attempts") == std::to_string(kMaxAttempts));
  CHECK(tx.exec_params1("SELECT max(attempt) FROM probe.attempts WHERE event_id = $1",
                        published.doomed)[0]
            .as<int>() == kMaxAttempts);

  // Not blocking: other events were applied between the failing events' first and last
  // attempts, and the flaky one was applied on its third delivery.
  long passed_doomed = tx.exec_params1(
                             "SELECT count(*) FROM probe.applied WHERE seq > (SELECT min(seq) "
                             "FROM probe.attempts WHERE event_id = $1) AND seq < (SELECT max(seq) "
                             "FROM probe.attempts WHERE event_id = $1)",
                             published.doomed)[0]
                           .as<long>();
  CHECK(passed_doomed > 0);
  auto flaky = tx.exec_params1("SELECT attempt, seq FROM probe.applied WHERE event_id = $1",
                               published.flaky);
  CHECK(flaky[0].as<int>() >= 3);
  long passed_flaky = tx.exec_params1(
                            "SELECT count(*) FROM probe.applied WHERE seq > (SELECT min(seq) FROM "
                            "probe.attempts WHERE event_id = $1) AND seq < $2",
                            published.flaky, flaky[1].as<long>())[0]
                          .as<long>();
  CHECK(passed_flaky > 0);
}
