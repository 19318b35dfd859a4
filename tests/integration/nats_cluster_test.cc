// A three-node JetStream cluster as `mpli up --cluster` runs it (libs/process), and the bus on
// it: a stream made through a connection with stream_replicas 3 has a copy on every node, keeps
// taking and giving messages when the node its client is connected to is killed, the client
// (given every node's URL) moves on by itself, and a message published again after a lost
// acknowledgement is stored once (its Nats-Msg-Id), as the outbox relay relies on.
#include <nats/nats.h>
#include <signal.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <iostream>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "libs/bus/connection.h"
#include "libs/bus/jetstream.h"
#include "libs/process/local_servers.h"
#include "libs/testing/environment.h"

namespace mpli {
namespace {
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr int kNodes = 3;

struct Cluster {
  explicit Cluster(const std::string& dir) {
    std::set<int> ports;
    while (ports.size() < 3 * kNodes) {
      auto port = process::free_tcp_port();
      REQUIRE(port.is_ok());
      ports.insert(*port);
    }
    std::vector<int> all(ports.begin(), ports.end());
    for (int i = 0; i < kNodes; ++i) {
      process::NatsServerOptions node;
      node.state_dir = dir + "/n" + std::to_string(i + 1);
      node.port = all[static_cast<size_t>(i)];
      node.cluster_port = all[static_cast<size_t>(kNodes + i)];
      node.monitor_port = all[static_cast<size_t>(2 * kNodes + i)];
      node.server_name = "test-n" + std::to_string(i + 1);
      node.cluster_name = "test";
      for (int peer = 0; peer < kNodes; ++peer) {
        if (peer != i) node.route_ports.push_back(all[static_cast<size_t>(kNodes + peer)]);
      }
      auto started = process::NatsServer::start(node, 20s);
      REQUIRE(started.is_ok());
      url += (url.empty() ? "" : ",") + started->url();
      nodes.push_back(std::make_unique<process::NatsServer>(std::move(started).value()));
    }
    testing::wait_until(
        [&] {
          for (const auto& node : nodes) {
            if (!node->jetstream_healthy()) return false;
          }
          return true;
        },
        30s, "a JetStream meta leader elected by the three nodes");
  }
  ~Cluster() {
    for (auto& node : nodes) node->stop(5s);
  }

  std::vector<std::unique_ptr<process::NatsServer>> nodes;
  std::string url;  // every node's, comma-separated
};

std::unique_ptr<bus::Connection> connect(const std::string& url) {
  bus::ConnectOptions options;
  options.url = url;
  options.stream_replicas = kNodes;
  auto connection = bus::Connection::connect(options);
  REQUIRE(connection.is_ok());
  REQUIRE((*connection)->wait_connected(10s).is_ok());
  return std::move(connection).value();
}

}  // namespace

TEST_CASE("a server list is split at its commas, each URL trimmed") {
  CHECK(bus::split_server_list("nats://127.0.0.1:4222") ==
        std::vector<std::string>{"nats://127.0.0.1:4222"});
  CHECK(bus::split_server_list(" nats://a:1, nats://b:2 ,,nats://c:3") ==
        std::vector<std::string>{"nats://a:1", "nats://b:2", "nats://c:3"});
  CHECK(bus::split_server_list(" , ").empty());
}

TEST_CASE("a rendered cluster node names itself, its cluster and its routes, or is refused") {
  process::NatsServerOptions node;
  node.state_dir = "/srv/nats";
  node.port = 4222;
  node.monitor_port = 8222;
  node.server_name = "mpli-n1";
  node.cluster_name = "mpli";
  node.cluster_port = 6222;
  node.route_ports = {6223, 6224};
  auto conf = process::render_nats_config(node);
  REQUIRE(conf.is_ok());
  CHECK_THAT(*conf, Catch::Contains("server_name: mpli-n1\n"));
  CHECK_THAT(*conf, Catch::Contains("http: 127.0.0.1:8222\n"));
  CHECK_THAT(*conf, Catch::Contains("cluster {\n  name: mpli\n  listen: 127.0.0.1:6222\n"
                                    "  routes: [nats-route://127.0.0.1:6223, "
                                    "nats-route://127.0.0.1:6224]\n}\n"));

  node.route_ports.clear();
  auto refused = process::render_nats_config(node);
  REQUIRE_FALSE(refused.is_ok());
  CHECK_THAT(refused.status().message(),
             Catch::Contains("a node needs server_name, cluster_port and route_ports"));

  process::NatsServerOptions standalone;
  standalone.state_dir = "/srv/nats";
  auto plain = process::render_nats_config(standalone);
  REQUIRE(plain.is_ok());
  CHECK(plain->find("cluster") == std::string::npos);
  CHECK(plain->find("server_name") == std::string::npos);
}

TEST_CASE("a stream with three replicas loses nothing and stores nothing twice when a node dies") {
  testing::TempDir dir;
  Cluster cluster(dir.path());
  auto producer = connect(cluster.url);
  bus::StreamSpec spec;
  spec.name = "CLUSTER_TEST";
  spec.subjects = {"cluster.test.>"};
  REQUIRE(bus::ensure_stream(*producer, spec).is_ok());

  // Every node holds a copy: the leader and two replicas.
  jsStreamInfo* info = nullptr;
  REQUIRE(js_GetStreamInfo(&info, producer->jetstream_context(), spec.name.c_str(), nullptr,
                           nullptr) == NATS_OK);
  REQUIRE(info->Cluster != nullptr);
  CHECK(info->Config->Replicas == kNodes);
  CHECK(info->Cluster->ReplicasLen == kNodes - 1);
  jsStreamInfo_Destroy(info);

  bus::ConsumerSpec reader;
  reader.stream = spec.name;
  reader.durable = "reader";
  reader.ack_wait = 5s;
  auto consumer = bus::PullConsumer::create(*producer, reader);
  REQUIRE(consumer.is_ok());

  // The node the producer is connected to dies a third of the way through.
  constexpr int kMessages = 300;
  constexpr int kKillAt = 100;
  int retries = 0;
  int duplicates_acknowledged = 0;
  std::chrono::milliseconds recovery{0};
  std::string killed;
  for (int i = 0; i < kMessages; ++i) {
    if (i == kKillAt) {
      char connected[256] = {0};
      REQUIRE(natsConnection_GetConnectedUrl(producer->raw(), connected, sizeof(connected)) ==
              NATS_OK);
      for (auto& node : cluster.nodes) {
        if (std::string(connected).find(":" + std::to_string(node->port())) != std::string::npos) {
          killed = node->url();
          REQUIRE(node->process().send_signal(SIGKILL).is_ok());
        }
      }
      REQUIRE_FALSE(killed.empty());
    }
    const std::string id = "m" + std::to_string(i);
    auto first_try = Clock::now();
    for (;;) {
      auto acked = bus::publish_durable(*producer, "cluster.test.items", id, id);
      if (acked.is_ok()) {
        if (acked->duplicate) ++duplicates_acknowledged;
        break;
      }
      ++retries;
      INFO("message " << id << ": " << acked.status().to_string());
      REQUIRE(Clock::now() - first_try < 30s);
      std::this_thread::sleep_for(100ms);
    }
    recovery = std::max(
        recovery, std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - first_try));
    // A republish of a message already stored (a lost acknowledgement) is recognised.
    if (i % 50 == 0) {
      auto again = bus::publish_durable(*producer, "cluster.test.items", id, id);
      REQUIRE(again.is_ok());
      CHECK(again->duplicate);
    }
  }

  std::multiset<std::string> received;
  auto deadline = Clock::now() + 60s;
  while (received.size() < static_cast<size_t>(kMessages) && Clock::now() < deadline) {
    auto batch = (*consumer)->fetch(100, 1s);
    if (!batch) continue;  // a fetch may fail while the consumer's leader moves
    for (auto& message : *batch) {
      received.insert(message.message().data);
      REQUIRE(message.ack().is_ok());
    }
  }
  std::set<std::string> distinct(received.begin(), received.end());
  auto state = bus::stream_state(*producer, spec.name);
  REQUIRE(state.is_ok());
  const size_t lost = static_cast<size_t>(kMessages) - distinct.size();
  const size_t duplicated = state->messages - distinct.size();
  std::cout << "nats cluster, node " << killed << " killed at message " << kKillAt << ": "
            << kMessages << " published, " << retries << " retried, " << lost << " lost, "
            << duplicated << " duplicated, longest wait for an acknowledgement " << recovery.count()
            << " ms\n";
  CHECK(lost == 0);
  CHECK(duplicated == 0);
  CHECK(state->messages == static_cast<uint64_t>(kMessages));
  CHECK(duplicates_acknowledged == 0);
  CHECK(received.size() == distinct.size());  // every message delivered once (all acked)
}

}  // namespace mpli
