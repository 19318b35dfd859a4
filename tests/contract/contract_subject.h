// The subject under test of a contract suite: a bus where something answers a service's
// subjects. With MPLI_CONTRACT_NATS_URL set, that bus (whatever implementation answers);
// unset, a nats-server, a PostgreSQL and our own binaries started for the test. See README.md.
#pragma once

#include <catch2/catch.hpp>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "libs/bus/call.h"
#include "libs/testing/environment.h"
#include "mpli/common/v1/envelope.pb.h"
#include "mpli/discovery/v1/discovery.pb.h"

namespace mpli::contract {

using namespace std::chrono_literals;

using testing::read_example;

inline std::string replace_all(std::string text, const std::string& from, const std::string& to) {
  for (size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
  }
  return text;
}

// A provider id no other run used, so the checks hold on a shared bus with history.
inline std::string unique_token() {
  std::random_device random;
  std::ostringstream token;
  token << "contract-" << std::hex << random() << random();
  return token.str();
}

// The Hexacloud example manifest under a fresh provider id, domain and IRIs.
inline std::string unique_manifest(const std::string& token) {
  return replace_all(read_example("provider-hexacloud-fr.ttl"), "hexacloud", token);
}

// The bus under test, and (when the test starts them) the services behind it: `binaries` are
// started in order on a fresh nats-server and PostgreSQL; `service` names the subjects.
class Subject {
 public:
  Subject(std::string service, const std::vector<std::string>& binaries)
      : service_(std::move(service)) {
    const char* external = std::getenv("MPLI_CONTRACT_NATS_URL");
    std::string url;
    if (external != nullptr && *external != '\0') {
      url = external;
    } else {
      dir_ = std::make_unique<testing::TempDir>();
      nats_ = std::make_unique<testing::TestNats>(dir_->path());
      pg_ = std::make_unique<testing::TestPostgres>(dir_->path());
      url = nats_->url();
      for (const auto& binary : binaries) {
        processes_.push_back(std::make_unique<process::ChildProcess>(testing::start_binary(
            binary, {{"MPLI_NATS_URL", url}, {"MPLI_DATABASE_URL", pg_->dsn()}}, dir_->path())));
      }
    }
    bus::ConnectOptions options;
    options.url = url;
    options.name = "mpli-contract-tests";
    auto connected = bus::Connection::connect(options);
    REQUIRE(connected.is_ok());
    bus_ = std::move(connected).value();
    // An unreachable bus or a silent service fails here; nothing passes by default.
    REQUIRE(bus_->wait_connected(10s).is_ok());
    // Every service started here answers before the first check: a service under test that asks
    // another one (portability asks delivery) must not meet "no responders" because that one
    // was still connecting.
    std::vector<std::string> ready = {service_};
    if (external == nullptr || *external == '\0') {
      for (const auto& binary : binaries) {
        const std::string name = binary.rfind("mpli-", 0) == 0 ? binary.substr(5) : binary;
        if (name != service_) ready.push_back(name);
      }
    }
    for (const auto& name : ready) {
      const std::string health_subject = "mpli." + name + ".v1.health";
      testing::wait_until(
          [&] {
            auto reply = bus_->request(health_subject, "", 1s);
            common::v1::HealthReply health;
            return reply.is_ok() && health.ParseFromString(reply->data) && health.status() == "ok";
          },
          60s, "something answers " + health_subject + " with status ok on " + url);
    }
  }

  std::string subject(const std::string& operation) const {
    return "mpli." + service_ + ".v1." + operation;
  }

  bus::Connection& bus() { return *bus_; }

  template <typename Reply>
  Result<Reply> call(const std::string& operation, const google::protobuf::Message& request,
                     std::chrono::milliseconds deadline = 10s) {
    return bus::call<Reply>(*bus_, subject(operation), request, deadline);
  }

  // Registers a manifest by upload with discovery (every service's tests need providers).
  discovery::v1::RegisterProviderReply register_upload(const std::string& turtle) {
    discovery::v1::RegisterProviderRequest request;
    request.set_manifest_turtle(turtle);
    auto reply = bus::call<discovery::v1::RegisterProviderReply>(
        *bus_, "mpli.discovery.v1.register_provider", request, 30s);
    INFO(reply.status().to_string());
    REQUIRE(reply.is_ok());
    return *reply;
  }

 private:
  std::unique_ptr<testing::TempDir> dir_;
  std::unique_ptr<testing::TestNats> nats_;
  std::unique_ptr<testing::TestPostgres> pg_;
  std::string service_;
  std::vector<std::unique_ptr<process::ChildProcess>> processes_;
  std::unique_ptr<bus::Connection> bus_;
};

}  // namespace mpli::contract
