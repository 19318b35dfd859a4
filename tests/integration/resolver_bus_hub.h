// The resolver's neighbourhood for tests over the bus: nats-server, PostgreSQL, mpli-discovery,
// mpli-trust and mpli-resolver started on free ports, a bus connection, and providers
// registered by upload. No gateway and no provider web site (resolver_test.cc has those).
#pragma once

#include <catch2/catch.hpp>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "libs/bus/call.h"
#include "libs/testing/environment.h"
#include "mpli/common/v1/envelope.pb.h"
#include "mpli/discovery/v1/discovery.pb.h"

namespace mpli::testing {

class ResolverBusHub {
 public:
  ResolverBusHub() : nats_(dir_.path()), pg_(dir_.path()) {
    std::map<std::string, std::string> env = {{"MPLI_NATS_URL", nats_.url()},
                                              {"MPLI_DATABASE_URL", pg_.dsn()}};
    for (const char* binary : {"mpli-discovery", "mpli-trust", "mpli-resolver"}) {
      processes_.push_back(
          std::make_unique<process::ChildProcess>(start_binary(binary, env, dir_.path())));
    }
    bus::ConnectOptions options;
    options.url = nats_.url();
    auto connection = bus::Connection::connect(options);
    REQUIRE(connection.is_ok());
    bus_ = std::move(connection).value();
    wait_until(
        [&] {
          using namespace std::chrono_literals;
          auto reply = bus_->request("mpli.discovery.v1.health", "", 1s);
          common::v1::HealthReply health;
          return reply.is_ok() && health.ParseFromString(reply->data) && health.status() == "ok";
        },
        std::chrono::seconds(60), "discovery is healthy");
  }

  // Registers a provider manifest (Turtle) with discovery; the resolver learns it from
  // discovery's events, some time later.
  void register_upload(const std::string& turtle) {
    discovery::v1::RegisterProviderRequest request;
    request.set_manifest_turtle(turtle);
    auto registered = bus::call<discovery::v1::RegisterProviderReply>(
        *bus_, "mpli.discovery.v1.register_provider", request, std::chrono::seconds(30));
    INFO(registered.status().to_string());
    REQUIRE(registered.is_ok());
  }

  bus::Connection& bus() { return *bus_; }
  std::string dsn() const { return pg_.dsn(); }

 private:
  TempDir dir_;
  TestNats nats_;
  TestPostgres pg_;
  std::vector<std::unique_ptr<process::ChildProcess>> processes_;
  std::unique_ptr<bus::Connection> bus_;
};

}  // namespace mpli::testing
