#include "workers/postgresql/snapshot_pins.h"

#include "workers/postgresql/pg_support.h"

namespace mpli::pgworker {

namespace {

std::string error_of(PGconn* conn) { return first_line(PQerrorMessage(conn)); }

}  // namespace

Result<std::string> SnapshotPins::pin(const std::string& migration_id, const std::string& dsn) {
  std::lock_guard<std::mutex> lock(mutex_);
  close_expired();
  auto found = pins_.find(migration_id);
  if (found != pins_.end()) {
    // Still pinned when the transaction is alive (an idle connection the server ended is not).
    if (PQstatus(found->second.conn.get()) == CONNECTION_OK &&
        PQtransactionStatus(found->second.conn.get()) == PQTRANS_INTRANS) {
      return found->second.snapshot;
    }
    pins_.erase(found);
  }
  Pin pin;
  pin.conn.reset(PQconnectdb(dsn.c_str()));
  if (PQstatus(pin.conn.get()) != CONNECTION_OK) {
    return unavailable("cannot connect to pin a snapshot: " + error_of(pin.conn.get()));
  }
  std::unique_ptr<PGresult, decltype(&PQclear)> begun(
      PQexec(pin.conn.get(),
             "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; SELECT pg_export_snapshot()"),
      PQclear);
  if (PQresultStatus(begun.get()) != PGRES_TUPLES_OK || PQntuples(begun.get()) != 1) {
    return internal_error("PostgreSQL: " + error_of(pin.conn.get()) + " (pinning a snapshot)");
  }
  pin.snapshot = PQgetvalue(begun.get(), 0, 0);
  pin.pinned_at = std::chrono::steady_clock::now();
  std::string snapshot = pin.snapshot;
  pins_[migration_id] = std::move(pin);
  return snapshot;
}

void SnapshotPins::release(const std::string& migration_id) {
  std::lock_guard<std::mutex> lock(mutex_);
  pins_.erase(migration_id);
  close_expired();
}

std::size_t SnapshotPins::held() {
  std::lock_guard<std::mutex> lock(mutex_);
  close_expired();
  return pins_.size();
}

void SnapshotPins::close_expired() {
  const auto now = std::chrono::steady_clock::now();
  for (auto it = pins_.begin(); it != pins_.end();) {
    it = now - it->second.pinned_at > ttl_ ? pins_.erase(it) : std::next(it);
  }
}

}  // namespace mpli::pgworker
