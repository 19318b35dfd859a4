// The PostgreSQL worker's migration operations (docs/migrations.md) between two real PostgreSQL
// servers, a source (wal_level=logical) and a target, through the handlers the worker registers:
// offline (pg_dump piped into pg_restore) and online (publication, subscription, catch-up, freeze,
// finalize), each ending with equal checksums on both sides; re-deliveries and cleanups repeat
// safely; a wrong password fails for good without showing it.
#include <catch2/catch.hpp>
#include <chrono>
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include "libs/testing/environment.h"
#include "workers/postgresql/migration_operations.h"
#include "workers/postgresql/postgres_provisioner.h"

namespace mpli::pgworker {
namespace {

class RecordingProgress : public worker::Progress {
 public:
  void report(int percent, const std::string& message) override {
    reports.push_back(std::to_string(percent) + " " + message);
  }
  bool should_stop() const override { return false; }
  std::vector<std::string> reports;
};

const std::string kOrder = "ord_mig01";
const std::string kDatabase = "mpli_ordmig01";
const std::string kMigration = "mig_0190TEST";

int port_of(const std::string& dsn) { return std::stoi(dsn.substr(dsn.find("port=") + 5)); }

std::string value_of(const worker::StringMap& map, const std::string& key) {
  auto it = map.find(key);
  REQUIRE(it != map.end());
  return it->second;
}

worker::Work make_work(const std::string& operation,
                       const std::map<std::string, std::string>& parameters = {},
                       const std::map<std::string, std::string>& secrets = {}) {
  static int counter = 0;
  worker::Work work;
  work.set_work_id("wrk_mig" + std::to_string(++counter));
  work.set_task_id("tsk_mig" + std::to_string(counter));
  work.set_migration_id(kMigration);
  work.set_attempt(1);
  work.set_order_id(kOrder);
  work.set_provider_id("pg-provider");
  work.set_operation(operation);
  work.set_worker_kind("postgresql");
  for (const auto& [key, value] : parameters) (*work.mutable_parameters())[key] = value;
  for (const auto& [key, value] : secrets) (*work.mutable_secrets())[key] = value;
  auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::system_clock::now().time_since_epoch());
  work.set_deadline_unix_ms(now.count() + 120000);
  return work;
}

// One provider's server with its provisioner and migrator, as the worker wires them.
struct Side {
  testing::TestPostgres pg;
  PostgresProvisioner provisioner;
  PostgresMigrator migrator;
  std::string consumer_dsn;  // the order's own role, as the consumer connects

  Side(const std::string& dir, bool logical)
      : pg(dir, testing::TestPostgresOptions{logical}),
        provisioner(config(pg.dsn(), dir)),
        migrator(config(pg.dsn(), dir)) {}

  static ProvisionerConfig config(const std::string& dsn, const std::string& dir) {
    ProvisionerConfig c;
    c.server_dsn = dsn;
    c.public_host = "127.0.0.1";
    c.public_port = port_of(dsn);
    c.dump_dir = dir + "/dumps";
    // Ranges of 32 blocks: the 50,000-row table is read in several, on two connections.
    c.checksum_range_blocks = 32;
    return c;
  }
  void provision() {
    RecordingProgress progress;
    auto outcome = provisioner.provision(make_work("provision"), progress);
    INFO(outcome.message);
    REQUIRE(outcome.succeeded);
    consumer_dsn = value_of(outcome.secrets, "uri");
  }
  std::string admin_value(const std::string& sql, const std::string& database = kDatabase) {
    pqxx::connection conn(pg.dsn() + " dbname=" + database);
    pqxx::nontransaction tx(conn);
    auto rows = tx.exec(sql);
    return rows.empty() || rows[0][0].is_null() ? "" : rows[0][0].as<std::string>();
  }
  void consumer_exec(const std::string& sql) {
    pqxx::connection conn(consumer_dsn);
    pqxx::work tx(conn);
    tx.exec(sql);
    tx.commit();
  }
};

struct Migration {
  testing::TempDir source_dir;
  testing::TempDir target_dir;
  Side source{source_dir.path(), true};
  Side target{target_dir.path(), false};
  RecordingProgress progress;

  Migration() {
    source.provision();
    target.provision();
    // A few kinds of table: with a serial key, without a key, a text key in another schema, a
    // larger one; and a sequence of its own.
    source.consumer_exec(
        "CREATE TABLE items (id serial PRIMARY KEY, name text NOT NULL, price numeric(10,2), "
        "added timestamptz DEFAULT '2026-01-02 03:04:05+00', "
        "doubled numeric GENERATED ALWAYS AS (price * 2) STORED);"
        "INSERT INTO items (name, price) SELECT 'item ' || g, g * 1.5 FROM generate_series(1, "
        "200) g;"
        "CREATE TABLE notes (body text, n int);"
        "INSERT INTO notes SELECT 'note ' || (g % 7), g % 7 FROM generate_series(1, 48) g;"
        "INSERT INTO notes VALUES (NULL, 3), ('no number', NULL);"
        "CREATE SCHEMA shop;"
        "CREATE TABLE shop.orders (code text PRIMARY KEY, item int REFERENCES items(id), "
        "meta jsonb);"
        "INSERT INTO shop.orders SELECT 'o-' || g, g, jsonb_build_object('g', g) "
        "FROM generate_series(1, 100) g;"
        "COMMENT ON CONSTRAINT orders_item_fkey ON shop.orders IS 'every order is of an item';"
        "CREATE INDEX notes_by_number ON notes (n);"
        "CREATE TABLE big (id bigint PRIMARY KEY, payload text);"
        "INSERT INTO big SELECT g, md5(g::text) FROM generate_series(1, 50000) g;"
        "CREATE SEQUENCE counter;"
        "SELECT setval('counter', 41);");
  }

  std::map<std::string, std::string> source_parameters(const std::string& mode,
                                                       const std::string& user) {
    return {{"mode", mode},
            {"source_host", "127.0.0.1"},
            {"source_port", std::to_string(port_of(source.pg.dsn()))},
            {"source_database", kDatabase},
            {"source_user", user}};
  }
  worker::Outcome checksum(Side& side, const std::map<std::string, std::string>& parameters = {}) {
    auto outcome = side.migrator.checksum(make_work("checksum", parameters), progress);
    INFO(outcome.message);
    REQUIRE(outcome.succeeded);
    return outcome;
  }
};

// Both methods: equal on both sides, and (being different hashes) different from each other.
void require_equal_checksums(Migration& m, int big_rows = 50000) {
  std::map<std::string, std::string> by_method;
  for (const char* method : {"copy-sha256", "row-hash"}) {
    INFO(method);
    auto source_outcome = m.checksum(m.source, {{"method", method}});
    CHECK(value_of(source_outcome.outputs, "method") == method);
    std::string source = value_of(source_outcome.outputs, "verification");
    std::string target =
        value_of(m.checksum(m.target, {{"method", method}}).outputs, "verification");
    CHECK(source == target);
    auto tables = nlohmann::json::parse(source);
    REQUIRE(tables.size() == 4);
    CHECK(tables[0]["name"] == "public.big");
    CHECK(tables[0]["rows"] == big_rows);
    CHECK(tables[3]["name"] == "shop.orders");
    for (const auto& table : tables) CHECK(table["checksum"].get<std::string>().size() == 32);
    by_method[method] = source;
  }
  CHECK(by_method["copy-sha256"] != by_method["row-hash"]);
}

// The checksum of one table with `method` on `side`.
std::string table_checksum(Migration& m, Side& side, const std::string& method,
                           const std::string& table) {
  auto tables = nlohmann::json::parse(
      value_of(m.checksum(side, {{"method", method}}).outputs, "verification"));
  for (const auto& entry : tables) {
    if (entry["name"] == table) return entry["checksum"].get<std::string>();
  }
  FAIL("no table " << table);
  return "";
}

TEST_CASE("offline: the source's database streams into the target with equal checksums") {
  Migration m;
  // A large object, readable by the consumer alone (lo_compat_privileges is off).
  m.source.consumer_exec("SELECT lo_from_bytea(0, 'a large object')");
  auto frozen = m.source.migrator.freeze(make_work("freeze"), m.progress);
  INFO(frozen.message);
  REQUIRE(frozen.succeeded);
  auto exported = m.source.migrator.export_database(
      make_work("export", {{"mode", "offline"}, {"migration_id", kMigration}}), m.progress);
  INFO(exported.message);
  REQUIRE(exported.succeeded);
  std::string user = value_of(exported.outputs, "migration_user");
  std::string password = value_of(exported.secrets, "migration_password");
  CHECK(exported.outputs.count("publication") == 0);
  CHECK(exported.message.find(password) == std::string::npos);

  auto import = make_work("import", m.source_parameters("offline", user),
                          {{"source_migration_password", password}});
  auto imported = m.target.migrator.import_database(import, m.progress);
  INFO(imported.message);
  REQUIRE(imported.succeeded);
  CHECK(std::stoll(value_of(imported.outputs, "bytes")) > 100000);
  CHECK(value_of(imported.outputs, "tables") == "4");
  require_equal_checksums(m);
  CHECK(m.target.admin_value("SELECT nextval('counter')") == "42");
  CHECK(m.target.admin_value("SELECT convert_from(lo_get(oid), 'UTF8') FROM "
                             "pg_largeobject_metadata") == "a large object");
  CHECK(m.target.admin_value("SELECT tableowner FROM pg_tables WHERE tablename = 'big'") ==
        kDatabase);

  CHECK(m.target.admin_value("SELECT doubled FROM items WHERE id = 3") == "9.00");  // computed
  CHECK(imported.outputs.count("verification") == 0);  // no method asked for: no checksum

  // The same item again (a re-delivery) replaces what the first made (its foreign keys too):
  // still equal. Given a method, it also returns the target's checksum, the same as a task's.
  auto with_method = m.source_parameters("offline", user);
  with_method["method"] = "row-hash";
  auto again = m.target.migrator.import_database(
      make_work("import", with_method, {{"source_migration_password", password}}), m.progress);
  INFO(again.message);
  REQUIRE(again.succeeded);
  CHECK(m.target.admin_value("SELECT count(*) FROM pg_constraint WHERE contype = 'f'") == "1");
  // Restored in two parts (the foreign keys beside the checksum): the index and the comment on
  // the foreign key are there too.
  CHECK(m.target.admin_value("SELECT obj_description(oid, 'pg_constraint') FROM pg_constraint "
                             "WHERE conname = 'orders_item_fkey'") == "every order is of an item");
  CHECK(m.target.admin_value("SELECT count(*) FROM pg_indexes WHERE indexname = "
                             "'notes_by_number'") == "1");
  CHECK(value_of(again.outputs, "method") == "row-hash");
  CHECK(value_of(again.outputs, "verification") ==
        value_of(m.checksum(m.source, {{"method", "row-hash"}}).outputs, "verification"));
  require_equal_checksums(m);

  // Unfrozen twice (a re-delivery): writable, no failure.
  for (int i = 0; i < 2; ++i) {
    auto unfrozen = m.source.migrator.unfreeze(make_work("unfreeze"), m.progress);
    INFO(unfrozen.message);
    REQUIRE(unfrozen.succeeded);
  }
  // Both servers hash alike (same build), so row hashes compare; a changed value, a NULL where a
  // value was, show in both methods' checksums of that table.
  auto source_probe = m.source.migrator.hash_probe(make_work("hash_probe"), m.progress);
  auto target_probe = m.target.migrator.hash_probe(make_work("hash_probe"), m.progress);
  REQUIRE(source_probe.succeeded);
  REQUIRE(target_probe.succeeded);
  CHECK(value_of(source_probe.outputs, "row_hash_probe").rfind("UTF8:", 0) == 0);
  CHECK(value_of(source_probe.outputs, "row_hash_probe") ==
        value_of(target_probe.outputs, "row_hash_probe"));
  const std::string notes_row_hash = table_checksum(m, m.target, "row-hash", "public.notes");
  CHECK(table_checksum(m, m.source, "row-hash", "public.notes") == notes_row_hash);
  m.source.consumer_exec("UPDATE notes SET n = NULL WHERE body IS NULL");
  CHECK(table_checksum(m, m.source, "row-hash", "public.notes") != notes_row_hash);
  m.source.consumer_exec("UPDATE notes SET n = 3 WHERE body IS NULL");
  CHECK(table_checksum(m, m.source, "row-hash", "public.notes") == notes_row_hash);
  m.source.consumer_exec("UPDATE notes SET body = 'note 0 ' WHERE body = 'note 0'");
  CHECK(table_checksum(m, m.source, "row-hash", "public.notes") != notes_row_hash);
  CHECK_NOTHROW(m.source.consumer_exec("INSERT INTO notes VALUES ('writable again', 1)"));
  for (int i = 0; i < 2; ++i) {
    auto cleaned =
        m.source.migrator.cleanup(make_work("cleanup", {{"migration_user", user}}), m.progress);
    INFO(cleaned.message);
    REQUIRE(cleaned.succeeded);
  }
  CHECK(m.source.admin_value("SELECT count(*) FROM pg_roles WHERE rolname = '" + user + "'") ==
        "0");
}

TEST_CASE("online: a database with a large object is refused, saying why") {
  Migration m;
  // Logical replication carries no large object: the target would lack it.
  m.source.consumer_exec("SELECT lo_from_bytea(0, 'not replicated')");
  auto refused =
      m.source.migrator.export_database(make_work("export", {{"mode", "online"}}), m.progress);
  CHECK_FALSE(refused.succeeded);
  CHECK_FALSE(refused.retryable);
  CHECK(refused.message.find("1 large object(s), which logical replication does not carry") !=
        std::string::npos);
  // Refused before anything was made.
  CHECK(m.source.admin_value("SELECT count(*) FROM pg_publication") == "0");
  CHECK(m.source.admin_value("SELECT count(*) FROM pg_roles WHERE rolname LIKE 'mpli\\_mig\\_%'",
                             "postgres") == "0");
}

TEST_CASE("online: replication copies, catches up, freezes the source and finalizes") {
  Migration m;
  auto exported =
      m.source.migrator.export_database(make_work("export", {{"mode", "online"}}), m.progress);
  INFO(exported.message);
  REQUIRE(exported.succeeded);
  std::string user = value_of(exported.outputs, "migration_user");
  std::string publication = value_of(exported.outputs, "publication");
  std::map<std::string, std::string> secret{
      {"source_migration_password", value_of(exported.secrets, "migration_password")}};
  // A repeated export renews the password and keeps the publication.
  auto exported_again =
      m.source.migrator.export_database(make_work("export", {{"mode", "online"}}), m.progress);
  REQUIRE(exported_again.succeeded);
  CHECK(value_of(exported_again.outputs, "publication") == publication);
  secret["source_migration_password"] = value_of(exported_again.secrets, "migration_password");

  auto parameters = m.source_parameters("online", user);
  parameters["publication"] = publication;
  auto import = make_work("import", parameters, secret);
  auto imported = m.target.migrator.import_database(import, m.progress);
  INFO(imported.message);
  REQUIRE(imported.succeeded);
  std::string subscription = value_of(imported.outputs, "subscription");
  CHECK(value_of(imported.outputs, "tables") == "4");
  CHECK(m.target.admin_value("SELECT count(*) FROM big") == "50000");
  // Re-delivered: finds its subscription, copies nothing twice.
  auto again = m.target.migrator.import_database(import, m.progress);
  INFO(again.message);
  REQUIRE(again.succeeded);
  CHECK(m.target.admin_value("SELECT count(*) FROM items") == "200");

  // Written on the source after the copy, also to the table without a key.
  m.source.consumer_exec(
      "INSERT INTO items (name, price) SELECT 'late ' || g, g FROM generate_series(1, 30) g;"
      "UPDATE notes SET n = n + 100 WHERE n = 3; DELETE FROM big WHERE id <= 10;"
      "SELECT nextval('counter')");
  auto sub_parameters = parameters;
  sub_parameters["subscription"] = subscription;
  sub_parameters["max_lag_bytes"] = "1048576";
  auto caught_up =
      m.target.migrator.catch_up(make_work("catch_up", sub_parameters, secret), m.progress);
  INFO(caught_up.message);
  REQUIRE(caught_up.succeeded);
  CHECK(std::stoll(value_of(caught_up.outputs, "lag_bytes")) <= 1048576);

  // Committed just before the freeze: on a server with synchronous_commit off (these test
  // servers) its WAL may not be written yet, and must still be in what finalize waits for.
  m.source.consumer_exec("INSERT INTO items (name) VALUES ('last before the freeze')");
  const std::string committed = m.source.admin_value("SELECT pg_current_wal_insert_lsn()::text");
  // A transaction open before the freeze cannot commit after it; a new session cannot write.
  pqxx::connection early(m.source.consumer_dsn);
  pqxx::work early_tx(early);
  early_tx.exec0("INSERT INTO items (name) VALUES ('before the freeze, never committed')");
  auto frozen = m.source.migrator.freeze(make_work("freeze"), m.progress);
  INFO(frozen.message);
  REQUIRE(frozen.succeeded);
  std::string frozen_at = value_of(frozen.outputs, "frozen_at");
  // The freeze's position covers every commit before it (finalize waits for it).
  CHECK(m.source.admin_value("SELECT '" + value_of(frozen.outputs, "lsn") + "'::pg_lsn >= '" +
                             committed + "'::pg_lsn") == "t");
  CHECK(frozen_at.size() == 24);
  CHECK(frozen_at.back() == 'Z');
  CHECK_THROWS(early_tx.commit());
  try {
    m.source.consumer_exec("INSERT INTO items (name) VALUES ('after the freeze')");
    FAIL("a write after the freeze succeeded");
  } catch (const pqxx::sql_error& e) {
    CHECK(e.sqlstate() == "25006");  // read_only_sql_transaction
  }
  // A repeated freeze keeps the time the downtime began.
  auto refrozen = m.source.migrator.freeze(make_work("freeze"), m.progress);
  REQUIRE(refrozen.succeeded);
  CHECK(value_of(refrozen.outputs, "frozen_at") == frozen_at);

  sub_parameters["lsn"] = value_of(refrozen.outputs, "lsn");
  auto finalize = make_work("finalize", sub_parameters, secret);
  auto finalized = m.target.migrator.finalize(finalize, m.progress);
  INFO(finalized.message);
  REQUIRE(finalized.succeeded);
  CHECK(std::stoi(value_of(finalized.outputs, "sequences")) >= 2);
  CHECK(m.target.admin_value("SELECT count(*) FROM pg_subscription", "postgres") == "0");
  CHECK(m.source.admin_value("SELECT count(*) FROM pg_replication_slots") == "0");
  CHECK(m.target.admin_value("SELECT count(*) FROM items WHERE name LIKE 'late%'") == "30");
  CHECK(m.target.admin_value("SELECT count(*) FROM items WHERE name LIKE 'before%'") == "0");
  CHECK(m.target.admin_value("SELECT count(*) FROM items WHERE name = 'last before the freeze'") ==
        "1");
  require_equal_checksums(m, 49990);
  // 231 rows, and the uncommitted insert took 232 from the sequence on the source.
  CHECK(m.target.admin_value("SELECT nextval('items_id_seq')") == "233");
  CHECK(m.target.admin_value("SELECT nextval('counter')") == "43");
  // The snapshot finalize pinned: the consumer writes at the target after the cut-over, and the
  // target as of the pin is still equal to the frozen source; once read, the pin is released.
  const std::string snapshot = value_of(finalized.outputs, "snapshot");
  REQUIRE_FALSE(snapshot.empty());
  const std::string frozen_source = value_of(m.checksum(m.source).outputs, "verification");
  m.target.consumer_exec("INSERT INTO items (name) VALUES ('after the cut-over')");
  CHECK(value_of(m.checksum(m.target).outputs, "verification") != frozen_source);
  CHECK(value_of(m.checksum(m.target, {{"snapshot", snapshot}}).outputs, "verification") ==
        frozen_source);
  auto unpinned =
      m.target.migrator.checksum(make_work("checksum", {{"snapshot", snapshot}}), m.progress);
  CHECK_FALSE(unpinned.succeeded);
  CHECK(unpinned.message.find("no longer pinned") != std::string::npos);
  m.target.consumer_exec("DELETE FROM items WHERE name = 'after the cut-over'");
  // Finalize re-delivered after it dropped the subscription: sequences set again, no failure.
  auto refinalized = m.target.migrator.finalize(finalize, m.progress);
  INFO(refinalized.message);
  REQUIRE(refinalized.succeeded);

  REQUIRE(m.source.migrator.unfreeze(make_work("unfreeze"), m.progress).succeeded);
  CHECK_NOTHROW(m.source.consumer_exec("INSERT INTO items (name) VALUES ('after unfreeze')"));

  for (int i = 0; i < 2; ++i) {
    for (Side* side : {&m.target, &m.source}) {
      auto cleaned = side->migrator.cleanup(make_work("cleanup", {{"publication", publication},
                                                                  {"subscription", subscription},
                                                                  {"migration_user", user}}),
                                            m.progress);
      INFO(cleaned.message);
      REQUIRE(cleaned.succeeded);
    }
  }
  CHECK(m.source.admin_value("SELECT count(*) FROM pg_publication") == "0");
  CHECK(m.source.admin_value("SELECT count(*) FROM pg_roles WHERE rolname = '" + user + "'") ==
        "0");
}

TEST_CASE("cleanup after a rollback drops the live subscription and the slot it holds") {
  Migration m;
  auto exported =
      m.source.migrator.export_database(make_work("export", {{"mode", "online"}}), m.progress);
  REQUIRE(exported.succeeded);
  auto imported = m.target.migrator.import_database(
      make_work("import",
                m.source_parameters("online", value_of(exported.outputs, "migration_user")),
                {{"source_migration_password", value_of(exported.secrets, "migration_password")}}),
      m.progress);
  INFO(imported.message);
  REQUIRE(imported.succeeded);
  // Rollback order: the source first, while the target's subscription still streams.
  for (Side* side : {&m.source, &m.target}) {
    auto cleaned = side->migrator.cleanup(make_work("cleanup"), m.progress);
    INFO(cleaned.message);
    REQUIRE(cleaned.succeeded);
  }
  CHECK(m.source.admin_value("SELECT count(*) FROM pg_replication_slots") == "0");
  CHECK(m.source.admin_value("SELECT count(*) FROM pg_publication") == "0");
  CHECK(m.target.admin_value("SELECT count(*) FROM pg_subscription", "postgres") == "0");
}

TEST_CASE("a wrong source password fails for good and is not shown") {
  Migration m;
  auto exported =
      m.source.migrator.export_database(make_work("export", {{"mode", "online"}}), m.progress);
  REQUIRE(exported.succeeded);
  const std::string wrong = "Wrong-Password-0123456789abcdef";
  for (const std::string mode : {"online", "offline"}) {
    auto imported = m.target.migrator.import_database(
        make_work("import", m.source_parameters(mode, value_of(exported.outputs, "migration_user")),
                  {{"source_migration_password", wrong}}),
        m.progress);
    INFO(imported.message);
    CHECK_FALSE(imported.succeeded);
    CHECK_FALSE(imported.retryable);
    CHECK(imported.message.find("password authentication failed") != std::string::npos);
    CHECK(imported.message.find(wrong) == std::string::npos);
  }
  auto missing = m.target.migrator.import_database(
      make_work("import", m.source_parameters("online", "someone")), m.progress);
  CHECK_FALSE(missing.succeeded);
  CHECK(missing.message.find("source_migration_password") != std::string::npos);
}

}  // namespace
}  // namespace mpli::pgworker
