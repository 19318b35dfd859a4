// The PostgreSQL layer against a real server: migrations, pool recovery, transactions.
#include <catch2/catch.hpp>
#include <thread>

#include "libs/db/migrations.h"
#include "libs/db/pool.h"
#include "libs/db/prepared.h"
#include "libs/testing/environment.h"

using namespace mpli;
using namespace std::chrono_literals;

namespace {
const std::vector<db::Migration> kMigrations = {
    {1, "0001_providers", "CREATE TABLE providers (id text PRIMARY KEY, name text NOT NULL);"},
    {2, "0002_provider_country", "ALTER TABLE providers ADD COLUMN country text;"},
};

long count(pqxx::connection& c, const std::string& sql) {
  pqxx::nontransaction tx(c);
  return tx.exec1(sql)[0].as<long>();
}
}  // namespace

TEST_CASE("migrations run twice are a no-op the second time") {
  testing::TempDir dir;
  testing::TestPostgres pg(dir.path());
  pqxx::connection c(pg.dsn());

  auto first = db::migrate(c, "svc", kMigrations);
  REQUIRE(first.is_ok());
  CHECK(first->applied == 3);  // the library's outbox + two of ours
  CHECK(first->already == 0);

  auto second = db::migrate(c, "svc", kMigrations);
  REQUIRE(second.is_ok());
  CHECK(second->applied == 0);
  CHECK(second->already == 3);
  CHECK(count(c, "SELECT count(*) FROM svc.schema_migrations") == 3);
  CHECK(count(c,
              "SELECT count(*) FROM information_schema.columns WHERE table_schema = 'svc' "
              "AND table_name = 'providers'") == 3);
}

TEST_CASE("two instances migrating at once apply each migration once") {
  testing::TempDir dir;
  testing::TestPostgres pg(dir.path());
  std::vector<Result<db::MigrationOutcome>> outcomes(2, Status());
  std::vector<std::thread> threads;
  for (int i = 0; i < 2; ++i) {
    threads.emplace_back([&, i] {
      pqxx::connection c(pg.dsn());
      outcomes[static_cast<size_t>(i)] = db::migrate(c, "svc", kMigrations);
    });
  }
  for (auto& t : threads) t.join();
  REQUIRE(outcomes[0].is_ok());
  REQUIRE(outcomes[1].is_ok());
  CHECK(outcomes[0]->applied + outcomes[1]->applied == 3);
}

TEST_CASE("an applied migration that was edited afterwards stops the start") {
  testing::TempDir dir;
  testing::TestPostgres pg(dir.path());
  pqxx::connection c(pg.dsn());
  REQUIRE(db::migrate(c, "svc", kMigrations).is_ok());
  auto edited = kMigrations;
  edited[1].sql = "ALTER TABLE providers ADD COLUMN region text;";
  auto outcome = db::migrate(c, "svc", edited);
  REQUIRE_FALSE(outcome.is_ok());
  CHECK(outcome.status().code() == StatusCode::kFailedPrecondition);
  CHECK(outcome.status().message().find("0002_provider_country was changed") != std::string::npos);
}

TEST_CASE("a failing migration changes nothing") {
  testing::TempDir dir;
  testing::TestPostgres pg(dir.path());
  pqxx::connection c(pg.dsn());
  auto broken = kMigrations;
  broken.push_back({3, "0003_broken", "ALTER TABLE no_such_table ADD COLUMN x int;"});
  auto outcome = db::migrate(c, "svc", broken);
  REQUIRE_FALSE(outcome.is_ok());
  CHECK(count(c, "SELECT count(*) FROM information_schema.schemata WHERE schema_name = 'svc'") ==
        0);
}

TEST_CASE("a transaction that throws leaves nothing and the pool heals after PostgreSQL restarts") {
  testing::TempDir dir;
  testing::TestPostgres pg(dir.path());
  db::Pool pool(pg.dsn(), 2);
  {
    auto lease = pool.acquire();
    REQUIRE(lease.is_ok());
    REQUIRE(db::migrate(**lease, "svc", kMigrations).is_ok());
  }
  Status failed = pool.transact([](pqxx::work& tx) {
    tx.exec0("INSERT INTO svc.providers (id, name) VALUES ('p1', 'one')");
    tx.exec0("INSERT INTO svc.providers (id, name) VALUES ('p1', 'dup')");
  });
  CHECK(failed.code() == StatusCode::kAlreadyExists);
  REQUIRE(pool.transact([](pqxx::work& tx) {
                CHECK(tx.exec1("SELECT count(*) FROM svc.providers")[0].as<long>() == 0);
              })
              .is_ok());

  pg.stop();
  CHECK_FALSE(pool.healthy());
  pg.start();
  testing::wait_until([&] { return pool.healthy(); }, 20s, "pool reconnects after restart");
  REQUIRE(pool.transact([](pqxx::work& tx) {
                tx.exec0("INSERT INTO svc.providers (id, name) VALUES ('p2', 'two')");
              })
              .is_ok());
}

TEST_CASE("a prepared statement is named by its text and prepared again on a new connection") {
  CHECK(db::statement_name("SELECT 1") == db::statement_name("SELECT 1"));
  CHECK(db::statement_name("SELECT 1") != db::statement_name("SELECT 2"));
  CHECK(db::statement_name("SELECT 1").rfind("mpli_", 0) == 0);

  testing::TempDir dir;
  testing::TestPostgres pg(dir.path());
  db::Pool pool(pg.dsn(), 1);
  {
    auto lease = pool.acquire();
    REQUIRE(lease.is_ok());
    REQUIRE(db::migrate(**lease, "svc", kMigrations).is_ok());
  }
  const std::string insert = "INSERT INTO svc.providers (id, name) VALUES ($1, $2) RETURNING id";
  const std::string names = "SELECT name FROM svc.providers WHERE id = $1";
  auto name_of = [&](const std::string& id) {
    std::string name;
    REQUIRE(pool.transact([&](pqxx::work& tx) {
                  auto rows = db::exec_prepared(tx, names, id);
                  if (!rows.empty()) name = rows[0][0].as<std::string>();
                })
                .is_ok());
    return name;
  };
  for (const char* id : {"p1", "p2"}) {
    REQUIRE(pool.transact([&](pqxx::work& tx) {
                  CHECK(db::exec_prepared(tx, insert, id, std::string("name of ") + id)[0][0]
                            .as<std::string>() == id);
                })
                .is_ok());
  }
  CHECK(name_of("p2") == "name of p2");
  // The server holds both statements under their names, on the one connection.
  REQUIRE(pool.transact([&](pqxx::work& tx) {
                CHECK(tx.exec1("SELECT count(*) FROM pg_prepared_statements WHERE name IN ('" +
                               db::statement_name(insert) + "', '" + db::statement_name(names) +
                               "')")[0]
                          .as<long>() == 2);
              })
              .is_ok());
  // A restart loses them with the connection; the pool's new connection prepares them again.
  pg.stop();
  CHECK_FALSE(pool.healthy());
  pg.start();
  testing::wait_until([&] { return pool.healthy(); }, 20s, "pool reconnects after restart");
  CHECK(name_of("p1") == "name of p1");
  CHECK(name_of("missing").empty());
}
