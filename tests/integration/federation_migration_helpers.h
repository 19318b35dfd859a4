// What the tests that move a managed database across `mpli up`'s demo providers share: the
// providers' own servers, a consumer talking to the gateway, and an order's connection string.
#pragma once

#include <catch2/catch.hpp>
#include <chrono>
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>
#include <string>
#include <vector>

#include "libs/process/child_process.h"
#include "libs/testing/environment.h"
#include "tests/integration/federation_fixture.h"

namespace mpli::fixture {

inline const std::vector<std::string> kDemoProviders = {"hexacloud", "nordwolke", "polderstack"};

inline std::string first_line(const std::string& path) {
  std::string text = read_file(path);
  return text.substr(0, text.find('\n'));
}

// The provider's own server as its administrator (to look at what is there, not to change it).
inline std::string provider_dsn(const Federation& f, int index, const std::string& provider) {
  return "host=127.0.0.1 port=" + std::to_string(f.pg_port + index + 1) +
         " dbname=postgres user=postgres connect_timeout=5 password=" +
         first_line(f.state_dir + "/providers/" + provider + "/postgres/password");
}

inline bool database_exists(const Federation& f, int index, const std::string& database) {
  pqxx::connection c(provider_dsn(f, index, kDemoProviders[static_cast<size_t>(index)]));
  pqxx::work tx(c);
  return !tx.exec_params("SELECT 1 FROM pg_database WHERE datname = $1", database).empty();
}

// A consumer of the federation talking to its gateway.
struct Consumer {
  std::string base;
  std::string auth;

  testing::HttpResponse get(const std::string& path) const {
    return testing::http_request("GET", base + path, "", {auth});
  }
  testing::HttpResponse post(const std::string& path, const nlohmann::json& body,
                             const std::string& idempotency_key) const {
    return testing::http_request(
        "POST", base + path, body.dump(),
        {auth, "Content-Type: application/json", "Idempotency-Key: " + idempotency_key});
  }
  nlohmann::json order(const std::string& id, bool with_secrets = false) const {
    auto got = get("/v1/orders/" + id + (with_secrets ? "?include=secrets" : ""));
    REQUIRE(got.status == 200);
    return nlohmann::json::parse(got.body);
  }
  std::string offering_of(const std::string& kind, const std::string& provider) const {
    std::string offering;
    testing::wait_until(
        [&] {
          auto listed =
              testing::http_get(base + "/v1/offerings?kind=" + kind + "&provider=" + provider);
          if (listed.status != 200) return false;
          auto offerings = nlohmann::json::parse(listed.body)["offerings"];
          if (offerings.empty()) return false;
          offering = offerings[0]["id"].get<std::string>();
          return true;
        },
        std::chrono::seconds(90), provider + "'s " + kind + " in the catalogue");
    return offering;
  }
  std::string active_order(const std::string& offering, const nlohmann::json& parameters,
                           const std::string& key) const {
    auto created = post("/v1/orders", {{"offering", offering}, {"parameters", parameters}}, key);
    INFO(created.body);
    REQUIRE(created.status == 201);
    std::string id = nlohmann::json::parse(created.body)["id"].get<std::string>();
    testing::wait_until([&] { return order(id)["state"] == "active"; }, std::chrono::seconds(120),
                        id + " active");
    return id;
  }
  // Starts a migration and waits until it ends; returns it as GET shows it.
  nlohmann::json migrate(const std::string& order_id, const std::string& target,
                         const std::string& mode, const std::string& key) const {
    auto created =
        post("/v1/migrations",
             {{"order_id", order_id}, {"target_offering_id", target}, {"mode", mode}}, key);
    INFO(created.body);
    REQUIRE(created.status == 201);
    std::string id = nlohmann::json::parse(created.body)["id"].get<std::string>();
    nlohmann::json migration;
    testing::wait_until(
        [&] {
          auto got = get("/v1/migrations/" + id);
          if (got.status != 200) return false;
          migration = nlohmann::json::parse(got.body);
          std::string state = migration["state"].get<std::string>();
          return state == "completed" || state == "rolled_back" || state == "failed";
        },
        std::chrono::seconds(300), id + " ended");
    INFO(migration.dump(2));
    REQUIRE(migration["state"] == "completed");
    return migration;
  }
};

inline Consumer consumer_of(const Federation& f, const std::string& tenant) {
  process::Spec mint;
  mint.program = testing::bin_dir() + "/mpli";
  mint.args = {"token", "create", "--role", "consumer", "--tenant", tenant, "--state", f.state_dir};
  mint.capture_output = true;
  auto minted = process::run(mint, std::chrono::seconds(30));
  REQUIRE(minted.is_ok());
  REQUIRE(minted->exit_code == 0);
  std::string token = minted->output;
  while (!token.empty() && (token.back() == '\n' || token.back() == '\r')) token.pop_back();
  token = token.substr(token.rfind('\n') == std::string::npos ? 0 : token.rfind('\n') + 1);
  return Consumer{"http://127.0.0.1:" + std::to_string(f.http_port),
                  "Authorization: Bearer " + token};
}

inline std::string connection_string(const nlohmann::json& order) {
  const auto& out = order["outputs"];
  return "host=" + out["host"].get<std::string>() + " port=" + out["port"].get<std::string>() +
         " dbname=" + out["database"].get<std::string>() +
         " user=" + out["user"].get<std::string>() +
         " password=" + order["secrets"]["password"].get<std::string>() + " connect_timeout=3";
}

}  // namespace mpli::fixture
