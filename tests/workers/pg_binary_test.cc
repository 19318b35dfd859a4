// mpli-worker-postgresql end to end: the binary takes work from a real nats-server (the test
// plays delivery, tests/workers/work_fixture.h) and provisions on a real PostgreSQL; the returned
// secrets open the database; deprovision drops it; the log never shows the password.
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <pqxx/pqxx>

#include "tests/workers/work_fixture.h"

namespace mpli::testing {
namespace {

std::string port_of(const std::string& dsn) {
  auto start = dsn.find("port=") + 5;
  return dsn.substr(start, dsn.find(' ', start) - start);
}

delivery::v1::WorkItem order_item(const FakeDelivery& delivery, const std::string& work_id,
                                  const std::string& operation) {
  auto item = delivery.item(work_id, operation);
  item.set_order_id("ord_pgbin");
  item.set_worker_kind("postgresql");
  return item;
}

TEST_CASE(
    "pg binary: an order's database made through NATS opens with its secrets and is dropped") {
  TempDir dir;
  TestNats nats(dir.path());
  TestPostgres pg(dir.path());
  std::string dsn_file = dir.path() + "/server.dsn";
  std::ofstream(dsn_file) << pg.dsn() << "\n";
  ::chmod(dsn_file.c_str(), 0600);
  FakeDelivery delivery(nats.url(), "pgprov");
  auto worker =
      start_worker(bin_dir() + "/mpli-worker-postgresql",
                   {"--provider", "pgprov", "--server-dsn-file", dsn_file, "--public-host",
                    "127.0.0.1", "--public-port", port_of(pg.dsn())},
                   {{"MPLI_NATS_URL", nats.url()}, {"MPLI_STATE_DIR", dir.path() + "/state"}},
                   dir.path() + "/worker.log");

  auto item = order_item(delivery, "wrk_pg1", "provision");
  (*item.mutable_parameters())["connection_limit"] = "4";
  delivery.publish(item);
  auto provisioned = delivery.outcome("wrk_pg1", 1);
  INFO(provisioned.message());
  REQUIRE(provisioned.kind() == "succeeded");
  CHECK(provisioned.outputs().at("database") == "mpli_ordpgbin");
  CHECK(provisioned.outputs().at("port") == port_of(pg.dsn()));
  CHECK(provisioned.outputs().at("connection_limit") == "4");
  CHECK(provisioned.message().find("size not enforced") != std::string::npos);
  std::string password = provisioned.secrets().at("password");
  {
    pqxx::connection client(provisioned.secrets().at("uri"));
    pqxx::work tx(client);
    CHECK(tx.exec1("SELECT current_database()")[0].as<std::string>() == "mpli_ordpgbin");
  }

  delivery.publish(order_item(delivery, "wrk_pg2", "deprovision"));
  auto dropped = delivery.outcome("wrk_pg2", 1);
  INFO(dropped.message());
  REQUIRE(dropped.kind() == "succeeded");
  pqxx::connection admin(pg.dsn());
  pqxx::work tx(admin);
  CHECK(tx.exec_params("SELECT 1 FROM pg_database WHERE datname = $1", "mpli_ordpgbin").empty());
  CHECK(tx.exec_params("SELECT 1 FROM pg_roles WHERE rolname = $1", "mpli_ordpgbin").empty());

  CHECK(read_file(dir.path() + "/worker.log").find(password) == std::string::npos);
}

TEST_CASE("pg binary: a DSN file others can read stops the worker at start") {
  TempDir dir;
  TestNats nats(dir.path());
  std::string dsn_file = dir.path() + "/server.dsn";
  std::ofstream(dsn_file) << "host=127.0.0.1 port=1 user=postgres password=pw\n";
  ::chmod(dsn_file.c_str(), 0644);
  auto worker = start_worker(
      bin_dir() + "/mpli-worker-postgresql",
      {"--provider", "pgprov", "--server-dsn-file", dsn_file, "--public-host", "127.0.0.1"},
      {{"MPLI_NATS_URL", nats.url()}}, dir.path() + "/worker.log");
  auto status = worker.wait_for(std::chrono::seconds(30));
  REQUIRE(status.has_value());
  CHECK(WIFEXITED(*status));
  CHECK(WEXITSTATUS(*status) == 2);
  CHECK(read_file(dir.path() + "/worker.log").find("chmod 600") != std::string::npos);
}

}  // namespace
}  // namespace mpli::testing
