#include "services/gateway/domain/readiness.h"

#include <catch2/catch.hpp>

using namespace mpli;
using namespace mpli::gateway;

namespace {
std::map<std::string, ServiceHealth> all_ok() {
  std::map<std::string, ServiceHealth> health;
  for (const auto& name : hub_services()) {
    health[name].status = "ok";
    health[name].checks = {{"database", "ok"}};
  }
  return health;
}
}  // namespace

TEST_CASE("ready when every service answers ok") {
  Readiness r = assess_readiness(all_ok());
  CHECK(r.ready);
  CHECK(r.body["status"] == "ready");
  CHECK(r.body["services"].size() == 5);
  CHECK(r.body["services"]["trust"]["checks"]["database"] == "ok");
}

TEST_CASE("not ready when one service is degraded, silent or missing") {
  auto degraded = all_ok();
  degraded["delivery"].status = "degraded";
  CHECK_FALSE(assess_readiness(degraded).ready);

  auto silent = all_ok();
  silent["resolver"].reachability = deadline_exceeded("no reply within 1000 ms");
  Readiness r = assess_readiness(silent);
  CHECK_FALSE(r.ready);
  CHECK(r.body["status"] == "not_ready");
  CHECK(r.body["services"]["resolver"]["status"] == "unavailable");
  CHECK(r.body["services"]["resolver"]["error"] == "no reply within 1000 ms");

  auto missing = all_ok();
  missing.erase("portability");
  CHECK_FALSE(assess_readiness(missing).ready);
}
