// The discovery hub of the integration tests: a real nats-server, PostgreSQL, mpli-discovery and
// mpli-gateway (and, when asked, more services: trust, resolver), with the admin's token, SQL
// on the hub's database and the events discovery published, read back from MPLI_EVENTS.
#pragma once

#include <signal.h>

#include <catch2/catch.hpp>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>
#include <string>
#include <vector>

#include "libs/bus/jetstream.h"
#include "libs/testing/environment.h"
#include "libs/testing/tokens.h"
#include "mpli/common/v1/envelope.pb.h"

namespace mpli::fixture {

using namespace std::chrono_literals;
using nlohmann::json;

using Env = std::map<std::string, std::string>;

// One event read back from MPLI_EVENTS: its type (the subject's last token) and envelope.
struct Event {
  std::string type;
  common::v1::Envelope envelope;
};

class Hub {
 public:
  // `more_services`: started after discovery ("trust", "resolver"), before the gateway.
  explicit Hub(const Env& discovery_env = {}, const std::vector<std::string>& more_services = {})
      : nats_(dir_.path()), pg_(dir_.path()), tokens_(dir_.path()) {
    auto port = process::free_tcp_port();
    REQUIRE(port.is_ok());
    base_ = "http://127.0.0.1:" + std::to_string(*port);
    env_ = {{"MPLI_NATS_URL", nats_.url()},
            {"MPLI_DATABASE_URL", pg_.dsn()},
            {"MPLI_HTTP_PORT", std::to_string(*port)},
            {"MPLI_FETCH_ALLOW_HTTP", "true"},
            {"MPLI_FETCH_ALLOW_LOOPBACK", "true"},
            {"MPLI_AUTH_SIGNING_KEY_FILE", tokens_.key_file()}};
    for (const auto& [k, v] : discovery_env) env_[k] = v;
    start_discovery();
    for (const auto& service : more_services) {
      others_.push_back(testing::start_binary("mpli-" + service, env_, dir_.path()));
    }
    gateway_ = std::make_unique<process::ChildProcess>(
        testing::start_binary("mpli-gateway", env_, dir_.path()));
    bus::ConnectOptions options;
    options.url = nats_.url();
    auto connection = bus::Connection::connect(options);
    REQUIRE(connection.is_ok());
    bus_ = std::move(connection).value();
    wait_ready();
  }

  void start_discovery() {
    discovery_ = std::make_unique<process::ChildProcess>(
        testing::start_binary("mpli-discovery", env_, dir_.path()));
  }
  void stop_discovery() {
    REQUIRE(discovery_->send_signal(SIGTERM).is_ok());
    REQUIRE(discovery_->wait_for(20s).has_value());
  }
  void wait_ready() {
    testing::wait_until(
        [&] {
          auto r = testing::http_get(base_ + "/v1/providers");
          return r.status == 200;
        },
        60s, "discovery answers through the gateway");
  }
  testing::TestPostgres& postgres() { return pg_; }

  testing::HttpResponse post_json(const std::string& path, const json& body) {
    return testing::http_request("POST", base_ + path, body.dump(),
                                 {"Content-Type: application/json", admin()});
  }
  testing::HttpResponse post_turtle(const std::string& path, const std::string& text) {
    return testing::http_request("POST", base_ + path, text,
                                 {"Content-Type: text/turtle", admin()});
  }
  std::string url(const std::string& path) const { return base_ + path; }
  testing::HttpResponse post(const std::string& path) {
    return testing::http_request("POST", base_ + path, "", {admin()});
  }
  // The admin's Authorization header: registering and refreshing are the admin's (or the
  // provider's own).
  std::string admin() const { return testing::TestTokens::bearer(tokens_.admin()); }
  const testing::TestTokens& tokens() const { return tokens_; }
  testing::HttpResponse get(const std::string& path, const std::vector<std::string>& headers = {}) {
    return testing::http_request("GET", base_ + path, "", headers);
  }

  long scalar(const std::string& sql) {
    pqxx::connection c(pg_.dsn());
    pqxx::nontransaction tx(c);
    return tx.exec1(sql)[0].as<long>();
  }

  // Events published since the last call, in order, once the outbox has drained.
  std::vector<Event> drain_events() {
    testing::wait_until(
        [&] {
          return scalar("SELECT count(*) FROM discovery.outbox WHERE published_at IS NULL") == 0;
        },
        30s, "outbox drained");
    if (!reader_) {
      REQUIRE(bus::ensure_stream(*bus_, bus::events_stream()).is_ok());
      bus::ConsumerSpec spec{"MPLI_EVENTS", "discovery-test", "mpli.events.discovery.>", 60s, -1};
      auto consumer = bus::PullConsumer::create(*bus_, spec);
      REQUIRE(consumer.is_ok());
      reader_ = std::move(consumer).value();
    }
    std::vector<Event> events;
    for (int batches = 0; batches < 1000; ++batches) {
      auto batch = reader_->fetch(500, 500ms);
      REQUIRE(batch.is_ok());
      if (batch->empty()) break;
      for (auto& m : *batch) {
        const std::string& subject = m.message().subject;
        Event event{subject.substr(subject.rfind('.') + 1), {}};
        REQUIRE(event.envelope.ParseFromString(m.message().data));
        CHECK(event.envelope.type() == subject);
        events.push_back(std::move(event));
        REQUIRE(m.ack().is_ok());
      }
    }
    return events;
  }

  // The same, counted by type ("offering_added" -> 2).
  std::map<std::string, int> new_events() {
    std::map<std::string, int> counts;
    for (const Event& event : drain_events()) ++counts[event.type];
    return counts;
  }

 private:
  testing::TempDir dir_;
  testing::TestNats nats_;
  testing::TestPostgres pg_;
  testing::TestTokens tokens_;
  std::map<std::string, std::string> env_;
  std::string base_;
  std::unique_ptr<process::ChildProcess> discovery_;
  std::vector<process::ChildProcess> others_;
  std::unique_ptr<process::ChildProcess> gateway_;
  std::unique_ptr<bus::Connection> bus_;
  std::unique_ptr<bus::PullConsumer> reader_;
};

}  // namespace mpli::fixture
