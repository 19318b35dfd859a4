// The PostgreSQL worker's operations against a real PostgreSQL server: the database it makes
// accepts the password it returns, a repeat finds the same database, modify changes the server's
// connection limit, deprovision drops database and role (twice is fine), and an export imported
// into another order's database holds the same rows.
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <pqxx/pqxx>
#include <thread>

#include "libs/process/child_process.h"
#include "libs/testing/environment.h"
#include "workers/postgresql/postgres_provisioner.h"

namespace mpli::pgworker {
namespace {

namespace fs = std::filesystem;

class RecordingProgress : public worker::Progress {
 public:
  void report(int percent, const std::string& message) override {
    reports.push_back(std::to_string(percent) + " " + message);
  }
  bool should_stop() const override { return false; }
  std::vector<std::string> reports;
};

worker::Work make_work(const std::string& order_id, const std::string& operation,
                       const std::map<std::string, std::string>& parameters = {}) {
  static int counter = 0;
  worker::Work work;
  work.set_work_id("wrk_test" + std::to_string(++counter));
  work.set_attempt(1);
  work.set_order_id(order_id);
  work.set_provider_id("pg-provider");
  work.set_operation(operation);
  work.set_worker_kind("postgresql");
  for (const auto& [key, value] : parameters) (*work.mutable_parameters())[key] = value;
  auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::system_clock::now().time_since_epoch());
  work.set_deadline_unix_ms(now.count() + 120000);
  return work;
}

int port_of(const std::string& dsn) {
  auto at = dsn.find("port=");
  return std::stoi(dsn.substr(at + 5));
}

// A PostgreSQL server and a provisioner for it, as a provider would run them.
struct Fixture {
  testing::TempDir dir;
  testing::TestPostgres pg{dir.path()};
  PostgresProvisioner provisioner{config()};
  RecordingProgress progress;

  ProvisionerConfig config() const {
    ProvisionerConfig c;
    c.server_dsn = pg.dsn();
    c.public_host = "127.0.0.1";
    c.public_port = port_of(pg.dsn());
    c.dump_dir = dir.path() + "/dumps";
    return c;
  }
  std::string admin_value(const std::string& sql, const std::string& arg) {
    pqxx::connection conn(pg.dsn());
    pqxx::nontransaction tx(conn);
    auto rows = tx.exec_params(sql, arg);
    return rows.empty() || rows[0][0].is_null() ? "" : rows[0][0].as<std::string>();
  }
  int databases_named(const std::string& name) {
    return std::stoi(admin_value("SELECT count(*) FROM pg_database WHERE datname = $1", name));
  }
  int roles_named(const std::string& name) {
    return std::stoi(admin_value("SELECT count(*) FROM pg_roles WHERE rolname = $1", name));
  }
};

std::string value_of(const worker::StringMap& map, const std::string& key) {
  auto it = map.find(key);
  REQUIRE(it != map.end());
  return it->second;
}

TEST_CASE("provision creates a database that the returned password opens") {
  Fixture f;
  auto outcome = f.provisioner.provision(make_work("ord_0190AB-CD01", "provision"), f.progress);
  INFO(outcome.message);
  REQUIRE(outcome.succeeded);
  CHECK(value_of(outcome.outputs, "database") == "mpli_ord0190abcd01");
  CHECK(value_of(outcome.outputs, "user") == "mpli_ord0190abcd01");
  CHECK(value_of(outcome.outputs, "host") == "127.0.0.1");
  CHECK(value_of(outcome.outputs, "port") == std::to_string(port_of(f.pg.dsn())));
  std::string password = value_of(outcome.secrets, "password");
  CHECK(outcome.message.find(password) == std::string::npos);
  for (const auto& [key, value] : outcome.outputs) CHECK(value.find(password) == std::string::npos);

  pqxx::connection client(value_of(outcome.secrets, "uri"));
  pqxx::work tx(client);
  auto row = tx.exec1("SELECT current_database(), current_user");
  CHECK(row[0].as<std::string>() == "mpli_ord0190abcd01");
  CHECK(row[1].as<std::string>() == "mpli_ord0190abcd01");
  // The owner may create tables in its own database.
  tx.exec0("CREATE TABLE t (id int)");
  tx.commit();
}

TEST_CASE("provision twice for one order yields one database and a new password") {
  Fixture f;
  auto first = f.provisioner.provision(make_work("ord_twice", "provision"), f.progress);
  auto second = f.provisioner.provision(make_work("ord_twice", "provision"), f.progress);
  REQUIRE(first.succeeded);
  REQUIRE(second.succeeded);
  CHECK(second.message.find("already existed") != std::string::npos);
  CHECK(f.databases_named("mpli_ordtwice") == 1);
  CHECK(f.roles_named("mpli_ordtwice") == 1);
  CHECK(value_of(first.secrets, "password") != value_of(second.secrets, "password"));
  CHECK_THROWS_AS(pqxx::connection(value_of(first.secrets, "uri")), pqxx::broken_connection);
  CHECK_NOTHROW(pqxx::connection(value_of(second.secrets, "uri")));
}

TEST_CASE("two attempts at once for one order also leave one database") {
  Fixture f;
  worker::Outcome outcomes[2];
  auto first = make_work("ord_race", "provision");
  auto second = make_work("ord_race", "provision");
  RecordingProgress progress[2];
  std::thread racer([&] { outcomes[0] = f.provisioner.provision(first, progress[0]); });
  outcomes[1] = f.provisioner.provision(second, progress[1]);
  racer.join();
  INFO(outcomes[0].message + " / " + outcomes[1].message);
  CHECK(outcomes[0].succeeded);
  CHECK(outcomes[1].succeeded);
  CHECK(f.databases_named("mpli_ordrace") == 1);
  CHECK(f.roles_named("mpli_ordrace") == 1);
}

TEST_CASE("another order's role cannot connect to the database") {
  Fixture f;
  auto a = f.provisioner.provision(make_work("ord_a", "provision"), f.progress);
  auto b = f.provisioner.provision(make_work("ord_b", "provision"), f.progress);
  REQUIRE(a.succeeded);
  REQUIRE(b.succeeded);
  std::string dsn = "host=127.0.0.1 port=" + std::to_string(port_of(f.pg.dsn())) +
                    " dbname=mpli_orda user=mpli_ordb password=" + value_of(b.secrets, "password");
  CHECK_THROWS_AS(pqxx::connection(dsn), pqxx::broken_connection);
}

TEST_CASE("modify sets the connection limit of database and role") {
  Fixture f;
  REQUIRE(f.provisioner
              .provision(make_work("ord_mod", "provision", {{"connection_limit", "5"}}), f.progress)
              .succeeded);
  const std::string sql = "SELECT datconnlimit FROM pg_database WHERE datname = $1";
  CHECK(f.admin_value(sql, "mpli_ordmod") == "5");

  auto modified = f.provisioner.modify(
      make_work("ord_mod", "modify", {{"connection_limit", "2"}, {"storage_gb", "10"}}),
      f.progress);
  INFO(modified.message);
  REQUIRE(modified.succeeded);
  CHECK(f.admin_value(sql, "mpli_ordmod") == "2");
  CHECK(f.admin_value("SELECT rolconnlimit FROM pg_roles WHERE rolname = $1", "mpli_ordmod") ==
        "2");
  CHECK(value_of(modified.outputs, "connection_limit") == "2");
  CHECK(modified.message.find("storage_gb not enforced: PostgreSQL has no per-database size "
                              "limit") != std::string::npos);

  // The parameters after a modify are the whole set: no limit given = unlimited again.
  REQUIRE(f.provisioner.modify(make_work("ord_mod", "modify"), f.progress).succeeded);
  CHECK(f.admin_value(sql, "mpli_ordmod") == "-1");
}

TEST_CASE("a malformed parameter is a permanent failure that changes nothing") {
  Fixture f;
  auto outcome = f.provisioner.provision(
      make_work("ord_bad", "provision", {{"connection_limit", "lots"}}), f.progress);
  CHECK_FALSE(outcome.succeeded);
  CHECK_FALSE(outcome.retryable);
  CHECK(outcome.message.find("connection_limit") != std::string::npos);
  CHECK(f.databases_named("mpli_ordbad") == 0);
  CHECK(f.roles_named("mpli_ordbad") == 0);
}

TEST_CASE("modify of a database that was never provisioned fails for good") {
  Fixture f;
  auto outcome = f.provisioner.modify(make_work("ord_none", "modify"), f.progress);
  CHECK_FALSE(outcome.succeeded);
  CHECK_FALSE(outcome.retryable);
  CHECK(outcome.message.find("provision it first") != std::string::npos);
}

TEST_CASE("a server that cannot be reached is a retryable failure") {
  auto port = process::free_tcp_port();
  REQUIRE(port.is_ok());
  ProvisionerConfig config;
  config.server_dsn = "host=127.0.0.1 port=" + std::to_string(*port) +
                      " dbname=postgres user=postgres password=secret-pw connect_timeout=5";
  config.public_host = "127.0.0.1";
  PostgresProvisioner provisioner(config);
  RecordingProgress progress;
  auto outcome = provisioner.provision(make_work("ord_down", "provision"), progress);
  CHECK_FALSE(outcome.succeeded);
  CHECK(outcome.retryable);
  CHECK(outcome.message.find("secret-pw") == std::string::npos);
}

TEST_CASE("deprovision ends sessions, drops database and role, and is idempotent") {
  Fixture f;
  auto provisioned = f.provisioner.provision(make_work("ord_gone", "provision"), f.progress);
  REQUIRE(provisioned.succeeded);
  // An open session of the consumer's must not keep the database alive.
  pqxx::connection client(value_of(provisioned.secrets, "uri"));

  auto first = f.provisioner.deprovision(make_work("ord_gone", "deprovision"), f.progress);
  INFO(first.message);
  REQUIRE(first.succeeded);
  CHECK(f.databases_named("mpli_ordgone") == 0);
  CHECK(f.roles_named("mpli_ordgone") == 0);

  auto second = f.provisioner.deprovision(make_work("ord_gone", "deprovision"), f.progress);
  REQUIRE(second.succeeded);
  CHECK(second.message.find("already gone") != std::string::npos);
}

TEST_CASE("export then import into another order's database keeps every row") {
  Fixture f;
  auto source = f.provisioner.provision(make_work("ord_src", "provision"), f.progress);
  REQUIRE(source.succeeded);
  const std::string checksum_sql =
      "SELECT count(*) || ':' || md5(string_agg(id || '=' || payload, ',' ORDER BY id)) FROM items";
  std::string source_checksum;
  {
    pqxx::connection client(value_of(source.secrets, "uri"));
    pqxx::work tx(client);
    tx.exec0("CREATE TABLE items (id int PRIMARY KEY, payload text NOT NULL)");
    tx.exec0(
        "INSERT INTO items SELECT g, md5(g::text) || repeat('x', g % 17) "
        "FROM generate_series(1, 2500) g");
    source_checksum = tx.exec1(checksum_sql)[0].as<std::string>();
    tx.commit();
  }
  CHECK(source_checksum.rfind("2500:", 0) == 0);

  auto exported = f.provisioner.export_database(make_work("ord_src", "export"), f.progress);
  INFO(exported.message);
  REQUIRE(exported.succeeded);
  std::string dump_path = value_of(exported.outputs, "dump_path");
  CHECK(dump_path.rfind(f.dir.path() + "/dumps/mpli_ordsrc-", 0) == 0);
  CHECK(fs::file_size(dump_path) == std::stoull(value_of(exported.outputs, "bytes")));
  CHECK(value_of(exported.outputs, "sha256").size() == 64);

  auto target = f.provisioner.provision(make_work("ord_dst", "provision"), f.progress);
  REQUIRE(target.succeeded);
  auto import_work =
      make_work("ord_dst", "import",
                {{"dump_path", dump_path}, {"sha256", value_of(exported.outputs, "sha256")}});
  for (int round = 0; round < 2; ++round) {  // a repeated import gives the same result
    auto imported = f.provisioner.import_database(import_work, f.progress);
    INFO(imported.message);
    REQUIRE(imported.succeeded);
  }
  pqxx::connection client(value_of(target.secrets, "uri"));
  pqxx::work tx(client);
  CHECK(tx.exec1(checksum_sql)[0].as<std::string>() == source_checksum);
  // The restored table belongs to the importing order's role, which can write to it.
  CHECK(
      tx.exec1("SELECT tableowner FROM pg_tables WHERE tablename = 'items'")[0].as<std::string>() ==
      "mpli_orddst");
  tx.exec0("INSERT INTO items VALUES (2501, 'new')");
}

TEST_CASE("an import whose checksum does not match, or a dump path outside, is refused") {
  Fixture f;
  REQUIRE(f.provisioner.provision(make_work("ord_x", "provision"), f.progress).succeeded);
  auto exported = f.provisioner.export_database(
      make_work("ord_x", "export", {{"dump_path", "named.dump"}}), f.progress);
  REQUIRE(exported.succeeded);
  CHECK(value_of(exported.outputs, "dump_path") == f.dir.path() + "/dumps/named.dump");

  auto wrong_sum = f.provisioner.import_database(
      make_work("ord_x", "import", {{"dump_path", "named.dump"}, {"sha256", std::string(64, '0')}}),
      f.progress);
  CHECK_FALSE(wrong_sum.succeeded);
  CHECK_FALSE(wrong_sum.retryable);

  for (const char* escape : {"../escaped.dump", "/etc/passwd"}) {
    auto outcome = f.provisioner.export_database(
        make_work("ord_x", "export", {{"dump_path", escape}}), f.progress);
    CHECK_FALSE(outcome.succeeded);
    CHECK_FALSE(outcome.retryable);
  }
  CHECK_FALSE(fs::exists(f.dir.path() + "/escaped.dump"));
}

TEST_CASE("the server DSN file must be private to its owner") {
  testing::TempDir dir;
  std::string path = dir.path() + "/dsn";
  std::ofstream(path) << "\n  host=127.0.0.1 port=5432 user=postgres password=pw  \n";
  chmod(path.c_str(), 0644);
  auto refused = read_server_dsn(path);
  REQUIRE_FALSE(refused.is_ok());
  CHECK(refused.status().message().find("chmod 600") != std::string::npos);
  chmod(path.c_str(), 0600);
  auto dsn = read_server_dsn(path);
  REQUIRE(dsn.is_ok());
  CHECK(*dsn == "host=127.0.0.1 port=5432 user=postgres password=pw");
}

}  // namespace
}  // namespace mpli::pgworker
