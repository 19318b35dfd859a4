// The bus wrapper against a real nats-server: request/reply, deadlines, typed errors,
// JetStream duplicate detection and pull-consumer acknowledgements, a first connect that waits.

#include <atomic>
#include <catch2/catch.hpp>
#include <future>
#include <optional>
#include <thread>

#include "libs/bus/connection.h"
#include "libs/bus/jetstream.h"
#include "libs/process/child_process.h"
#include "libs/testing/environment.h"
#include "libs/testing/loopback_ports.h"

using namespace mpli;
using namespace std::chrono_literals;

namespace {
std::unique_ptr<bus::Connection> connect_to(const testing::TestNats& nats) {
  bus::ConnectOptions options;
  options.url = nats.url();
  options.retry_on_failed_connect = false;
  auto connection = bus::Connection::connect(options);
  REQUIRE(connection.is_ok());
  return std::move(connection).value();
}
}  // namespace

TEST_CASE("request/reply returns the handler's reply and its correlation id") {
  testing::TempDir dir;
  testing::TestNats nats(dir.path());
  auto server = connect_to(nats);
  auto client = connect_to(nats);
  auto sub =
      server->serve("mpli.test.v1.echo", "test",
                    [](const bus::Message& m) -> Result<std::string> { return "echo:" + m.data; });
  REQUIRE(sub.is_ok());
  REQUIRE(server->flush(2s).is_ok());

  auto reply =
      client->request("mpli.test.v1.echo", "hello", 2s, {{bus::kCorrelationHeader, "c-42"}});
  REQUIRE(reply.is_ok());
  CHECK(reply->data == "echo:hello");
  CHECK(reply->header(bus::kCorrelationHeader) == "c-42");
}

TEST_CASE("a typed error reply becomes the same status at the requester") {
  testing::TempDir dir;
  testing::TestNats nats(dir.path());
  auto server = connect_to(nats);
  auto client = connect_to(nats);
  auto sub =
      server->serve("mpli.test.v1.find", "test", [](const bus::Message& m) -> Result<std::string> {
        return not_found("no offering " + m.data);
      });
  auto throwing =
      server->serve("mpli.test.v1.throw", "test", [](const bus::Message&) -> Result<std::string> {
        throw std::runtime_error("secret internals");
      });
  REQUIRE(server->flush(2s).is_ok());

  auto reply = client->request("mpli.test.v1.find", "o-7", 2s);
  REQUIRE_FALSE(reply.is_ok());
  CHECK(reply.status().code() == StatusCode::kNotFound);
  CHECK(reply.status().message() == "no offering o-7");

  auto crashed = client->request("mpli.test.v1.throw", "", 2s);
  REQUIRE_FALSE(crashed.is_ok());
  CHECK(crashed.status().code() == StatusCode::kInternal);
  CHECK(crashed.status().message() == "internal error");  // no internals leak to the caller
}

TEST_CASE("a request nobody answers in time is a deadline, nobody listening is unavailable") {
  testing::TempDir dir;
  testing::TestNats nats(dir.path());
  auto server = connect_to(nats);
  auto client = connect_to(nats);
  // Subscribed, but never replies (a plain subscription sends nothing back).
  auto silent = server->subscribe("mpli.test.v1.silent", [](const bus::Message&) {});
  REQUIRE(server->flush(2s).is_ok());

  auto reply = client->request("mpli.test.v1.silent", "x", 200ms);
  REQUIRE_FALSE(reply.is_ok());
  CHECK(reply.status().code() == StatusCode::kDeadlineExceeded);

  auto nobody = client->request("mpli.test.v1.nobody", "x", 2s);
  REQUIRE_FALSE(nobody.is_ok());
  CHECK(nobody.status().code() == StatusCode::kUnavailable);
}

TEST_CASE("queue group members share the requests") {
  testing::TempDir dir;
  testing::TestNats nats(dir.path());
  auto a = connect_to(nats);
  auto b = connect_to(nats);
  auto client = connect_to(nats);
  auto sub_a = a->serve("mpli.test.v1.who", "who", [](const bus::Message&) -> Result<std::string> {
    return std::string("a");
  });
  auto sub_b = b->serve("mpli.test.v1.who", "who", [](const bus::Message&) -> Result<std::string> {
    return std::string("b");
  });
  REQUIRE(a->flush(2s).is_ok());
  REQUIRE(b->flush(2s).is_ok());
  std::map<std::string, int> answers;
  for (int i = 0; i < 200; ++i) {
    auto reply = client->request("mpli.test.v1.who", "", 2s);
    REQUIRE(reply.is_ok());
    ++answers[reply->data];
  }
  CHECK(answers["a"] + answers["b"] == 200);
  CHECK(answers["a"] > 0);  // each request went to exactly one member; both members took some
  CHECK(answers["b"] > 0);
}

TEST_CASE("JetStream drops a republished message with the same Nats-Msg-Id") {
  testing::TempDir dir;
  testing::TestNats nats(dir.path());
  auto connection = connect_to(nats);
  bus::StreamSpec spec{"TEST_EVENTS", {"test.events.>"}};
  REQUIRE(bus::ensure_stream(*connection, spec).is_ok());
  REQUIRE(bus::ensure_stream(*connection, spec).is_ok());  // idempotent

  auto first = bus::publish_durable(*connection, "test.events.a", "one", "id-1");
  auto again = bus::publish_durable(*connection, "test.events.a", "one", "id-1");
  auto other = bus::publish_durable(*connection, "test.events.a", "two", "id-2");
  REQUIRE(first.is_ok());
  REQUIRE(again.is_ok());
  REQUIRE(other.is_ok());
  CHECK_FALSE(first->duplicate);
  CHECK(again->duplicate);
  CHECK(again->sequence == first->sequence);
  CHECK_FALSE(other->duplicate);
  auto state = bus::stream_state(*connection, "TEST_EVENTS");
  REQUIRE(state.is_ok());
  CHECK(state->messages == 2);
}

TEST_CASE("a durable pull consumer redelivers a nak'ed message and not an acked one") {
  testing::TempDir dir;
  testing::TestNats nats(dir.path());
  auto connection = connect_to(nats);
  REQUIRE(bus::ensure_stream(*connection, bus::work_stream()).is_ok());
  REQUIRE(bus::publish_durable(*connection, "mpli.work.v1.p1.provision", "w1", "w1").is_ok());
  REQUIRE(bus::publish_durable(*connection, "mpli.work.v1.p1.provision", "w2", "w2").is_ok());

  bus::ConsumerSpec spec{"MPLI_WORK", "worker-p1", "mpli.work.v1.p1.>", 30s, -1};
  auto consumer = bus::PullConsumer::create(*connection, spec);
  REQUIRE(consumer.is_ok());
  auto batch = (*consumer)->fetch(10, 2s);
  REQUIRE(batch.is_ok());
  REQUIRE(batch->size() == 2);
  CHECK((*batch)[0].message().data == "w1");
  CHECK((*batch)[0].delivery_count() == 1);
  REQUIRE((*batch)[0].in_progress().is_ok());
  REQUIRE((*batch)[0].ack().is_ok());
  REQUIRE((*batch)[1].nak().is_ok());

  auto redelivered = (*consumer)->fetch(10, 2s);
  REQUIRE(redelivered.is_ok());
  REQUIRE(redelivered->size() == 1);
  CHECK((*redelivered)[0].message().data == "w2");
  CHECK((*redelivered)[0].delivery_count() == 2);
  REQUIRE((*redelivered)[0].ack().is_ok());

  auto empty = (*consumer)->fetch(10, 300ms);
  REQUIRE(empty.is_ok());
  CHECK(empty->empty());
}

// nats.c 3.4's own retry gave up for good after such a first attempt ("No server available for
// connection"), and a service waited for a bus that never came.
TEST_CASE("a first connect whose server never finishes the handshake keeps trying until one does") {
  testing::TempDir dir;
  auto port = process::free_tcp_port();
  REQUIRE(port.is_ok());
  // A listener that accepts connections (the kernel completes them) and never says anything: a
  // NATS server that does not finish the handshake, as one starved of CPU.
  auto bound = testing::LoopbackSocket::bind(*port);
  REQUIRE(bound.is_ok());
  std::optional<testing::LoopbackSocket> silent(std::move(bound).value());
  REQUIRE(silent->listen().is_ok());
  bus::ConnectOptions options;
  options.url = "nats://127.0.0.1:" + std::to_string(*port);
  options.reconnect_wait = 100ms;
  std::atomic<int> tries{0};
  options.keep_trying = [&] {
    ++tries;
    return true;
  };
  auto connecting =
      std::async(std::launch::async, [&options] { return bus::Connection::connect(options); });
  // Past the client's 2 s handshake timeout at least once, then a real server on that port.
  testing::wait_until([&] { return tries.load() >= 1; }, 20s, "a first handshake timed out");
  CHECK(connecting.wait_for(0ms) == std::future_status::timeout);
  silent.reset();
  testing::TestNats nats(dir.path(), *port);
  REQUIRE(connecting.wait_for(30s) == std::future_status::ready);
  auto connection = connecting.get();
  REQUIRE(connection.is_ok());
  CHECK((*connection)->connected());
  auto sub = (*connection)
                 ->serve("mpli.test.v1.echo", "test",
                         [](const bus::Message& m) -> Result<std::string> { return m.data; });
  REQUIRE(sub.is_ok());
  auto reply = (*connection)->request("mpli.test.v1.echo", "here", 5s);
  REQUIRE(reply.is_ok());
  CHECK(reply->data == "here");
}

TEST_CASE("a first connect stops waiting for a missing server when told to") {
  auto port = process::free_tcp_port();
  REQUIRE(port.is_ok());
  bus::ConnectOptions options;
  options.url = "nats://127.0.0.1:" + std::to_string(*port);
  options.reconnect_wait = 10ms;
  int asked = 0;
  options.keep_trying = [&] { return ++asked < 3; };
  auto connection = bus::Connection::connect(options);
  REQUIRE_FALSE(connection.is_ok());
  CHECK(connection.status().code() == StatusCode::kUnavailable);
  CHECK_THAT(connection.status().message(), Catch::Contains("stopped waiting for the bus"));
  CHECK(asked == 3);

  // Without retrying: one try, the server's absence as the error.
  options.retry_on_failed_connect = false;
  asked = 0;
  auto once = bus::Connection::connect(options);
  REQUIRE_FALSE(once.is_ok());
  CHECK(once.status().code() == StatusCode::kUnavailable);
  CHECK(asked == 0);
}
