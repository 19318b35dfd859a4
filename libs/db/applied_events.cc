#include "libs/db/applied_events.h"

namespace mpli::db {

Status ensure_applied_events_table(pqxx::connection& connection, const std::string& schema) {
  try {
    pqxx::work tx(connection);
    std::string table = tx.quote_name(schema) + ".applied_events";
    tx.exec0("CREATE SCHEMA IF NOT EXISTS " + tx.quote_name(schema));
    // Concurrent instances may race on CREATE TABLE IF NOT EXISTS; the advisory lock (keyed by
    // the table name) serialises them.
    tx.exec_params("SELECT pg_advisory_xact_lock(hashtext($1))", table);
    tx.exec0("CREATE TABLE IF NOT EXISTS " + table +
             " (consumer text NOT NULL, event_id text NOT NULL, applied_at timestamptz NOT NULL "
             "DEFAULT now(), PRIMARY KEY (consumer, event_id))");
    tx.commit();
    return Status::ok();
  } catch (const pqxx::broken_connection& e) {
    return unavailable(std::string("database connection lost: ") + e.what());
  } catch (const std::exception& e) {
    return internal_error(std::string("cannot create applied_events: ") + e.what());
  }
}

Result<bool> record_applied(pqxx::work& tx, const std::string& schema, const std::string& consumer,
                            const std::string& event_id) {
  if (event_id.empty()) return invalid_argument("an event without an id cannot be applied once");
  auto rows = tx.exec_params("INSERT INTO " + tx.quote_name(schema) +
                                 ".applied_events (consumer, event_id) VALUES ($1, $2) "
                                 "ON CONFLICT DO NOTHING RETURNING 1",
                             consumer, event_id);
  return !rows.empty();
}

}  // namespace mpli::db
