// The NATS permissions `mpli up` gives a provider's worker, on a real nats-server started with
// the generated authorization block: worker "a" reaches its own work, its own result subject
// and its own inbox, and nothing of provider "b", of the hub's replies or of the events.
//
// "Receives nothing" is proven without waiting a fixed time: the server handles one client's
// messages in order and routes each to every subscriber before the next, so when a marker
// published after the probe has arrived, the probe would have arrived first had it been routed.
#include <nats/nats.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "libs/bus/connection.h"
#include "libs/bus/jetstream.h"
#include "libs/process/local_servers.h"
#include "libs/process/nats_authorization.h"
#include "libs/process/secrets.h"
#include "libs/testing/environment.h"

namespace mpli {
namespace {
using namespace std::chrono_literals;

struct Credentials {
  std::string user;
  std::string password;
};

// nats-server with a hub user (unrestricted) and the workers of providers "a" and "b".
struct SecuredNats {
  explicit SecuredNats(const std::string& dir) {
    std::vector<process::NatsUser> users;
    auto add = [&](const std::string& name, process::NatsPermissions permissions) {
      std::string password = process::random_hex_secret();
      REQUIRE(password.size() == 64);
      auto hash = process::bcrypt_hash(password);
      REQUIRE(hash.is_ok());
      users.push_back({name, *hash, std::move(permissions)});
      return Credentials{name, password};
    };
    process::NatsPermissions unrestricted;
    unrestricted.unrestricted = true;
    hub = add("delivery", unrestricted);
    worker_a = add(process::worker_user_name("a"), process::worker_permissions("a"));
    worker_b = add(process::worker_user_name("b"), process::worker_permissions("b"));

    process::NatsServerOptions options;
    options.state_dir = dir + "/nats";
    auto port = process::free_tcp_port();
    REQUIRE(port.is_ok());
    options.port = *port;
    options.users = users;
    auto started = process::NatsServer::start(options, 20s);
    REQUIRE(started.is_ok());
    server = std::make_unique<process::NatsServer>(std::move(started).value());
  }
  ~SecuredNats() { server->stop(5s); }

  std::unique_ptr<bus::Connection> connect(const Credentials& who,
                                           const std::string& inbox_prefix = "") const {
    bus::ConnectOptions options;
    options.url = server->url();
    options.user = who.user;
    options.password = who.password;
    options.inbox_prefix = inbox_prefix;
    options.retry_on_failed_connect = false;
    auto connection = bus::Connection::connect(options);
    REQUIRE(connection.is_ok());
    REQUIRE((*connection)->wait_connected(10s).is_ok());
    return std::move(connection).value();
  }

  std::unique_ptr<process::NatsServer> server;
  Credentials hub, worker_a, worker_b;
};

// A synchronous subscription on a raw nats.c connection, so a test can look at what is queued.
class SyncSubscription {
 public:
  SyncSubscription(bus::Connection& connection, const std::string& subject) {
    REQUIRE(natsConnection_SubscribeSync(&sub_, connection.raw(), subject.c_str()) == NATS_OK);
  }
  ~SyncSubscription() { natsSubscription_Destroy(sub_); }
  SyncSubscription(const SyncSubscription&) = delete;
  SyncSubscription& operator=(const SyncSubscription&) = delete;

  // The next message's subject and data, or "" when none comes within `wait`.
  std::string next(std::chrono::milliseconds wait) {
    natsMsg* msg = nullptr;
    if (natsSubscription_NextMsg(&msg, sub_, wait.count()) != NATS_OK) return "";
    std::string out = std::string(natsMsg_GetSubject(msg)) + " " +
                      std::string(natsMsg_GetData(msg), natsMsg_GetDataLength(msg));
    natsMsg_Destroy(msg);
    return out;
  }
  // Messages already queued, without waiting for more.
  int queued() {
    int count = 0;
    natsSubscription_GetPending(sub_, &count, nullptr);
    return count;
  }

 private:
  natsSubscription* sub_ = nullptr;
};

// The text of the connection's last error (nats.c keeps the server's -ERR line there).
std::string last_error(bus::Connection& connection) {
  const char* text = nullptr;
  natsStatus status = natsConnection_GetLastError(connection.raw(), &text);
  return status == NATS_OK || text == nullptr ? "" : std::string(text);
}

bus::ConsumerSpec worker_consumer(const std::string& provider) {
  bus::ConsumerSpec spec;
  spec.stream = "MPLI_WORK";
  spec.durable = process::worker_user_name(provider);
  spec.filter_subject = "mpli.work.v1." + provider + ".>";
  spec.ack_wait = 60s;
  return spec;
}

TEST_CASE("a worker pulls, acks and reports its own provider's work and touches nothing else") {
  testing::TempDir dir;
  SecuredNats nats(dir.path());

  auto hub = nats.connect(nats.hub);
  REQUIRE(bus::ensure_stream(*hub, bus::work_stream()).is_ok());
  REQUIRE(bus::ensure_consumer(*hub, worker_consumer("a")).is_ok());
  REQUIRE(bus::ensure_consumer(*hub, worker_consumer("b")).is_ok());
  REQUIRE(bus::publish_durable(*hub, "mpli.work.v1.a.provision", "item-a", "wa.1").is_ok());
  REQUIRE(bus::publish_durable(*hub, "mpli.work.v1.b.provision", "item-b", "wb.1").is_ok());

  auto worker = nats.connect(nats.worker_a, "_INBOX_a");

  SECTION("its own consumer: bind, fetch, ack, and a JetStream-acked update") {
    auto consumer = bus::PullConsumer::bind(*worker, "MPLI_WORK", "worker-a");
    REQUIRE(consumer.is_ok());
    auto fetched = (*consumer)->fetch(1, 10s);
    REQUIRE(fetched.is_ok());
    REQUIRE(fetched->size() == 1);
    CHECK((*fetched)[0].message().data == "item-a");
    CHECK((*fetched)[0].in_progress().is_ok());
    CHECK((*fetched)[0].ack().is_ok());

    auto update = bus::publish_durable(*worker, "mpli.work.v1.result.a", "update-a", "wa.1.1");
    INFO(update.status().to_string() << " / " << last_error(*worker));
    REQUIRE(update.is_ok());
    CHECK(update->sequence > 0);
    CHECK_FALSE(update->duplicate);
    // The item is gone from the work queue once acked; b's stays.
    auto state = bus::stream_state(*hub, "MPLI_WORK");
    REQUIRE(state.is_ok());
    CHECK(state->messages == 2);  // item-b and update-a
  }

  SECTION("another provider's consumer: no bind, no pull") {
    // nats.c may bind without an answer to its lookup; what matters is that no pull is served.
    auto consumer = bus::PullConsumer::bind(*worker, "MPLI_WORK", "worker-b");
    if (consumer.is_ok()) {
      auto fetched = (*consumer)->fetch(1, 2s);
      CHECK((!fetched.is_ok() || fetched->empty()));
    }
    CHECK_THAT(last_error(*worker),
               Catch::Contains("Permissions Violation for Publish to \"$JS.API.CONSUMER."));
    CHECK_THAT(last_error(*worker), Catch::Contains("MPLI_WORK.worker-b\""));
    // Pulling by hand, without the bind: the request never reaches JetStream.
    SyncSubscription replies(*worker, "_INBOX_a.steal");
    REQUIRE(natsConnection_PublishRequestString(worker->raw(),
                                                "$JS.API.CONSUMER.MSG.NEXT.MPLI_WORK.worker-b",
                                                "_INBOX_a.steal", "{\"batch\":1}") == NATS_OK);
    REQUIRE(worker->flush(5s).is_ok());
    CHECK_THAT(last_error(*worker),
               Catch::Contains("Permissions Violation for Publish to \"$JS.API.CONSUMER.MSG.NEXT."
                               "MPLI_WORK.worker-b\""));
    // Nor can it create a consumer of its own over b's subjects, or look at the stream.
    bus::ConsumerSpec own = worker_consumer("b");
    own.durable = "worker-a-steals-b";
    CHECK_FALSE(bus::ensure_consumer(*worker, own).is_ok());
    CHECK_FALSE(bus::stream_state(*worker, "MPLI_WORK").is_ok());
  }

  SECTION("subscriptions outside its own inbox receive nothing") {
    const std::vector<std::string> forbidden = {"mpli.work.v1.b.>", "mpli.work.v1.result.b",
                                                "_INBOX.>",         "_INBOX_b.>",
                                                "mpli.events.>",    ">"};
    std::vector<std::unique_ptr<SyncSubscription>> subscriptions;
    for (const auto& subject : forbidden) {
      subscriptions.push_back(std::make_unique<SyncSubscription>(*worker, subject));
      REQUIRE(worker->flush(5s).is_ok());
      INFO(subject);
      CHECK_THAT(last_error(*worker),
                 Catch::Contains("Permissions Violation for Subscription to \"" + subject + "\""));
    }
    SyncSubscription marker(*worker, "_INBOX_a.marker");
    REQUIRE(worker->flush(5s).is_ok());

    for (const auto& subject : {"mpli.work.v1.b.probe", "mpli.work.v1.result.b", "_INBOX.probe",
                                "_INBOX_b.probe", "mpli.events.delivery.v1.order_changed"}) {
      REQUIRE(hub->publish(subject, "probe").is_ok());
    }
    REQUIRE(hub->publish("_INBOX_a.marker", "marker").is_ok());
    REQUIRE(hub->flush(5s).is_ok());
    CHECK(marker.next(10s) == "_INBOX_a.marker marker");
    for (size_t i = 0; i < forbidden.size(); ++i) {
      INFO(forbidden[i]);
      CHECK(subscriptions[i]->queued() == 0);
      CHECK(subscriptions[i]->next(0ms).empty());
    }
  }

  SECTION("publishing outside its own result subject reaches nobody") {
    SyncSubscription witness(*hub, ">");
    REQUIRE(hub->flush(5s).is_ok());
    for (const auto& subject :
         {"mpli.work.v1.result.b", "mpli.events.delivery.v1.order_changed",
          "mpli.work.v1.b.provision", "mpli.delivery.v1.create_order", "_INBOX_b.x"}) {
      REQUIRE(worker->publish(subject, "forged").is_ok());
      REQUIRE(worker->flush(5s).is_ok());
      INFO(subject);
      CHECK_THAT(last_error(*worker), Catch::Contains("Permissions Violation for Publish to \"" +
                                                      std::string(subject) + "\""));
    }
    // Its own result subject, last: the witness sees it and nothing before it.
    REQUIRE(worker->publish("mpli.work.v1.result.a", "allowed").is_ok());
    REQUIRE(worker->flush(5s).is_ok());
    std::string first = witness.next(10s);
    CHECK(first == "mpli.work.v1.result.a allowed");
    // A JetStream publish of b's update is refused too (no ack comes back).
    CHECK_FALSE(bus::publish_durable(*worker, "mpli.work.v1.result.b", "forged", "x.1.1").is_ok());
  }

  // Whatever worker a tried, b's item waits untouched for b: never delivered before.
  auto b_consumer = bus::PullConsumer::bind(*hub, "MPLI_WORK", "worker-b");
  REQUIRE(b_consumer.is_ok());
  auto items = (*b_consumer)->fetch(10, 10s);
  REQUIRE(items.is_ok());
  REQUIRE_FALSE(items->empty());
  CHECK((*items)[0].message().data == "item-b");
  CHECK((*items)[0].delivery_count() == 1);
}

TEST_CASE("a worker's user cannot connect with another password, nor anyone without one") {
  testing::TempDir dir;
  SecuredNats nats(dir.path());
  for (const auto& who : {Credentials{"worker-a", nats.worker_b.password},
                          Credentials{"worker-a", ""}, Credentials{"", ""}}) {
    bus::ConnectOptions options;
    options.url = nats.server->url();
    options.user = who.user;
    options.password = who.password;
    options.retry_on_failed_connect = false;
    auto connection = bus::Connection::connect(options);
    INFO("user '" << who.user << "'");
    CHECK_FALSE(connection.is_ok());
  }
  // The right password still works: the refusals above are about the credentials.
  auto worker = nats.connect(nats.worker_a, "_INBOX_a");
  CHECK(worker->connected());
}

}  // namespace
}  // namespace mpli
