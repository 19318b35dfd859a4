// mpli-worker-ansible end to end: the binary takes work from a real nats-server (the test plays
// delivery, tests/workers/work_fixture.h) and runs the demo playbook with a real ansible-playbook.
#include <catch2/catch.hpp>
#include <filesystem>

#include "tests/workers/work_fixture.h"

namespace mpli::testing {
namespace {

delivery::v1::WorkItem demo_item(const FakeDelivery& delivery, const std::string& work_id,
                                 const std::string& operation) {
  auto item = delivery.item(work_id, operation, "demo-service.yml");
  item.set_order_id("ord_ansiblebin");
  item.set_worker_kind("ansible");
  return item;
}

TEST_CASE("ansible binary: the demo service is provisioned and removed through NATS") {
  TempDir dir;
  TestNats nats(dir.path());
  FakeDelivery delivery(nats.url(), "ansprov");
  std::string state = dir.path() + "/state";
  auto worker = start_worker(bin_dir() + "/mpli-worker-ansible",
                             {"--provider", "ansprov", "--playbook-dir", MPLI_PLAYBOOK_DIR},
                             {{"MPLI_NATS_URL", nats.url()}, {"MPLI_STATE_DIR", state}},
                             dir.path() + "/worker.log");

  auto item = demo_item(delivery, "wrk_a1", "provision");
  (*item.mutable_parameters())["greeting"] = "hello from NATS";
  delivery.publish(item);
  auto provisioned = delivery.outcome("wrk_a1", 1, std::chrono::seconds(120));
  INFO(provisioned.message());
  REQUIRE(provisioned.kind() == "succeeded");
  std::string config_file = provisioned.outputs().at("config_file");
  CHECK(config_file == state + "/playbook-state/demo-service/ord_ansiblebin/service.conf");
  CHECK(read_file(config_file).find("greeting = hello from NATS\n") != std::string::npos);

  delivery.publish(demo_item(delivery, "wrk_a2", "deprovision"));
  auto removed = delivery.outcome("wrk_a2", 1, std::chrono::seconds(120));
  INFO(removed.message());
  REQUIRE(removed.kind() == "succeeded");
  CHECK_FALSE(std::filesystem::exists(config_file));
}

}  // namespace
}  // namespace mpli::testing
