#include "libs/db/migrations.h"

#include <map>

#include "libs/core/digest.h"
#include "libs/core/log.h"

namespace mpli::db {

const std::vector<Migration>& library_migrations() {
  // Version numbers below 1 belong to the library, so service migrations start at 0001.
  static const std::vector<Migration> kMigrations = {
      {-100, "mpli_outbox_v1", R"sql(
        CREATE TABLE outbox (
          seq          bigserial PRIMARY KEY,       -- publication order
          id           uuid NOT NULL UNIQUE,        -- event id, also the Nats-Msg-Id
          subject      text NOT NULL,
          payload      bytea NOT NULL,              -- serialized mpli.common.v1.Envelope
          created_at   timestamptz NOT NULL DEFAULT now(),
          published_at timestamptz
        );
        CREATE INDEX outbox_unpublished ON outbox (seq) WHERE published_at IS NULL;
        -- Wakes the relay once per inserting statement, when the transaction commits.
        CREATE FUNCTION outbox_notify() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          PERFORM pg_notify('mpli_outbox_' || TG_TABLE_SCHEMA, '');
          RETURN NULL;
        END $$;
        CREATE TRIGGER outbox_inserted AFTER INSERT ON outbox
          FOR EACH STATEMENT EXECUTE FUNCTION outbox_notify();
      )sql"},
  };
  return kMigrations;
}

Result<MigrationOutcome> migrate(pqxx::connection& connection, const std::string& schema,
                                 const std::vector<Migration>& migrations) {
  std::vector<const Migration*> all;
  for (const auto& m : library_migrations()) all.push_back(&m);
  for (const auto& m : migrations) {
    if (m.version < 1) return invalid_argument("migration " + m.name + ": version must be >= 1");
    all.push_back(&m);
  }

  MigrationOutcome outcome;
  const std::string q = quote_identifier(schema);
  try {
    pqxx::work tx(connection);
    // Two instances starting at once: the second waits here, then finds nothing to do.
    tx.exec_params("SELECT pg_advisory_xact_lock(hashtext($1))", "mpli.migrate." + schema);
    tx.exec0("CREATE SCHEMA IF NOT EXISTS " + q);
    tx.exec0("CREATE TABLE IF NOT EXISTS " + q +
             ".schema_migrations (version integer PRIMARY KEY, name text NOT NULL, "
             "checksum text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())");
    std::map<int, std::pair<std::string, std::string>> applied;
    for (const auto& row :
         tx.exec("SELECT version, name, checksum FROM " + q + ".schema_migrations")) {
      applied[row[0].as<int>()] = {row[1].as<std::string>(), row[2].as<std::string>()};
    }
    tx.exec0("SET LOCAL search_path TO " + q + ", public");
    for (const Migration* m : all) {
      std::string checksum = digest::sha256_hex(m->sql);
      auto it = applied.find(m->version);
      if (it != applied.end()) {
        if (it->second.second != checksum) {
          return failed_precondition("schema " + schema + ": migration " + m->name +
                                     " was changed after it was applied; add a new migration "
                                     "instead of editing an applied one");
        }
        ++outcome.already;
        continue;
      }
      tx.exec(m->sql);
      tx.exec_params("INSERT INTO " + q +
                         ".schema_migrations (version, name, checksum) "
                         "VALUES ($1, $2, $3)",
                     m->version, m->name, checksum);
      ++outcome.applied;
    }
    tx.commit();
  } catch (const pqxx::broken_connection& e) {
    return unavailable(std::string("database unreachable: ") + e.what());
  } catch (const pqxx::sql_error& e) {
    return internal_error("schema " + schema + ": migration failed: " + e.what());
  }
  if (outcome.applied > 0) {
    log::info("schema migrated",
              {{"schema", schema}, {"applied", outcome.applied}, {"already", outcome.already}});
  }
  return outcome;
}

}  // namespace mpli::db
