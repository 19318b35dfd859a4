#include "workers/postgresql/offline_copy.h"

#include <libpq-fe.h>

#include <chrono>
#include <memory>
#include <pqxx/pqxx>

#include "workers/postgresql/domain/migration_plan.h"
#include "workers/postgresql/domain/user_tables.h"
#include "workers/postgresql/pg_support.h"

namespace mpli::pgworker {

namespace {

// What the relay collects of the source's rows before it writes them on as one message.
constexpr std::size_t kCopyBatchBytes = std::size_t{64} * 1024;

using PgConn = std::unique_ptr<PGconn, decltype(&PQfinish)>;
using PgResult = std::unique_ptr<PGresult, decltype(&PQclear)>;

Result<PgConn> connect(const std::string& dsn, const std::string& what) {
  PgConn conn(PQconnectdb(dsn.c_str()), PQfinish);
  if (PQstatus(conn.get()) != CONNECTION_OK) {
    std::string why = "cannot connect to " + what + ": " + first_line(PQerrorMessage(conn.get()));
    if (permanent_connection_failure(why)) return failed_precondition(why);
    return unavailable(why);
  }
  return conn;
}

// Asks the server to stop the connection's current statement (a COPY OUT being drained).
void cancel(PGconn* conn) {
  std::unique_ptr<PGcancel, decltype(&PQfreeCancel)> handle(PQgetCancel(conn), PQfreeCancel);
  char error[256];
  if (handle) (void)PQcancel(handle.get(), error, sizeof error);
}

// A failed statement: retryable when the connection broke, else the server's refusal.
Status statement_failed(PGconn* conn, const std::string& what) {
  std::string message = what + ": " + first_line(PQerrorMessage(conn));
  if (PQstatus(conn) != CONNECTION_OK) return unavailable(message);
  return internal_error(message);
}

Status run(PGconn* conn, const std::string& sql, const std::string& what) {
  PgResult result(PQexec(conn, sql.c_str()), PQclear);
  if (PQresultStatus(result.get()) != PGRES_COMMAND_OK) return statement_failed(conn, what);
  return Status::ok();
}

// Reads the end of a COPY: the command's result and whatever follows it.
Status finish_copy(PGconn* conn, const std::string& what) {
  PgResult done(PQgetResult(conn), PQclear);
  Status status =
      PQresultStatus(done.get()) == PGRES_COMMAND_OK ? Status::ok() : statement_failed(conn, what);
  while (PGresult* more = PQgetResult(conn)) PQclear(more);
  return status;
}

// One table, source COPY OUT into target COPY IN. The target's transaction is the caller's.
Status relay_table(PGconn* source, PGconn* target, const TableCopy& table, std::uint64_t& bytes,
                   const std::function<void(std::uint64_t)>& on_progress,
                   const std::function<bool()>& should_stop) {
  const std::string name = table.schema + "." + table.name;
  PgResult out(PQexec(source, copy_out_sql(table).c_str()), PQclear);
  if (PQresultStatus(out.get()) != PGRES_COPY_OUT) {
    return statement_failed(source, "reading " + name + " at the source");
  }
  PgResult in(PQexec(target, copy_in_sql(table).c_str()), PQclear);
  if (PQresultStatus(in.get()) != PGRES_COPY_IN) {
    Status refused = statement_failed(target, "writing " + name + " here");
    cancel(source);
    for (char* line = nullptr; PQgetCopyData(source, &line, 0) >= 0; line = nullptr) {
      PQfreemem(line);
    }
    (void)finish_copy(source, name);
    return refused;
  }
  auto next_report = std::chrono::steady_clock::now() + std::chrono::seconds(1);
  Status relayed = Status::ok();
  // The source sends a message a row; they go on in batches (COPY data may be cut anywhere), so
  // this server's backend, the copy's busiest process, handles a message per 64 KiB instead of
  // one per row.
  std::string batch;
  batch.reserve(kCopyBatchBytes + 4096);
  auto send_batch = [&] {
    const bool sent =
        batch.empty() || PQputCopyData(target, batch.data(), static_cast<int>(batch.size())) == 1;
    batch.clear();
    return sent;
  };
  for (;;) {
    char* data = nullptr;
    const int n = PQgetCopyData(source, &data, 0);
    if (n < 0) break;  // -1: the source's COPY ended (its result says how); -2: an error
    batch.append(data, static_cast<std::size_t>(n));
    PQfreemem(data);
    bytes += static_cast<std::uint64_t>(n);
    if (batch.size() >= kCopyBatchBytes && !send_batch()) {
      relayed = statement_failed(target, "writing " + name + " here");
      cancel(source);
      break;
    }
    if (auto now = std::chrono::steady_clock::now(); now >= next_report) {
      next_report = now + std::chrono::seconds(1);
      on_progress(bytes);
      if (should_stop()) {
        relayed = deadline_exceeded("stopped while copying " + name + " (" + std::to_string(bytes) +
                                    " bytes relayed)");
        cancel(source);
        break;
      }
    }
  }
  // Drain a cancelled source (only then: after its end another read is an error of its own).
  // Its COPY's result tells whether it sent every row.
  if (!relayed.is_ok()) {
    for (char* rest = nullptr; PQgetCopyData(source, &rest, 0) >= 0; rest = nullptr) {
      PQfreemem(rest);
    }
  }
  Status read = finish_copy(source, "reading " + name + " at the source");
  if (relayed.is_ok() && !read.is_ok()) relayed = read;
  if (relayed.is_ok() && !send_batch()) {
    relayed = statement_failed(target, "writing " + name + " here");
  }
  // A failed relay ends the target's COPY with an error: nothing of it stays.
  const char* abort = relayed.is_ok() ? nullptr : "the copy from the source failed";
  if (PQputCopyEnd(target, abort) != 1 && relayed.is_ok()) {
    return statement_failed(target, "ending the copy of " + name);
  }
  Status written = finish_copy(target, "writing " + name + " here");
  return relayed.is_ok() ? written : relayed;
}

}  // namespace

Result<std::vector<TableCopy>> tables_to_copy(const std::string& source_dsn,
                                              int target_version_num) {
  pqxx::connection conn(source_dsn);
  pqxx::nontransaction tx(conn);
  const bool binary = same_major_version(conn.server_version(), target_version_num);
  // Generated columns (PostgreSQL 12 and later) are computed at the target: never copied.
  const std::string not_generated =
      conn.server_version() >= 120000 ? " AND a.attgenerated = ''" : "";
  auto rows = tx.exec(
      "SELECT n.nspname, c.relname, "
      "coalesce(array_agg(quote_ident(a.attname) ORDER BY a.attnum) FILTER (WHERE a.attnum IS "
      "NOT NULL), '{}'), coalesce(bool_and(t.typsend <> 0 AND t.typreceive <> 0), true) "
      "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
      "LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped" +
      not_generated +
      " LEFT JOIN pg_type t ON t.oid = a.atttypid "
      "WHERE c.relkind = 'r' AND c.relpersistence <> 't' AND " +
      kInUserSchema + " AND " + kNotExtensionMember +
      " GROUP BY c.oid, n.nspname, c.relname ORDER BY pg_relation_size(c.oid) DESC, 1, 2");
  std::vector<TableCopy> tables;
  tables.reserve(rows.size());
  for (const auto& row : rows) {
    TableCopy table;
    table.schema = row[0].as<std::string>();
    table.name = row[1].as<std::string>();
    auto columns = row[2].as_array();
    for (auto item = columns.get_next(); item.first != pqxx::array_parser::juncture::done;
         item = columns.get_next()) {
      if (item.first == pqxx::array_parser::juncture::string_value) {
        table.columns.push_back(item.second);
      }
    }
    table.binary = binary && row[3].as<bool>();
    tables.push_back(std::move(table));
  }
  return tables;
}

Result<int> drop_user_tables(const std::string& dsn) {
  pqxx::connection conn(dsn);
  pqxx::nontransaction tx(conn);
  // Partitions go with their parent; a table another one's CASCADE dropped is skipped.
  auto rows = tx.exec(
      std::string("SELECT format('%I.%I', n.nspname, c.relname) FROM pg_class c JOIN "
                  "pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind IN ('r', 'p') AND "
                  "NOT c.relispartition AND ") +
      kInUserSchema + " AND " + kNotExtensionMember);
  for (const auto& row : rows) {
    tx.exec0("DROP TABLE IF EXISTS " + row[0].as<std::string>() + " CASCADE");
  }
  return static_cast<int>(rows.size());
}

Result<std::uint64_t> copy_tables(const std::string& source_dsn, const std::string& target_dsn,
                                  const std::string& target_role,
                                  const std::vector<TableCopy>& tables,
                                  const std::function<void(std::uint64_t)>& on_progress,
                                  const std::function<bool()>& should_stop) {
  MPLI_ASSIGN_OR_RETURN(PgConn source, connect(source_dsn, "the source"));
  MPLI_ASSIGN_OR_RETURN(PgConn target, connect(target_dsn, "this server"));
  // Every table as of one snapshot (the source is frozen offline; this holds even if it is not),
  // and rows hidden by a row security policy are an error, never silently left out (as pg_dump).
  MPLI_RETURN_IF_ERROR(
      run(source.get(), "SET row_security = off; BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
          "starting the source's transaction"));
  {
    std::unique_ptr<char, decltype(&PQfreemem)> role(
        PQescapeIdentifier(target.get(), target_role.c_str(), target_role.size()), PQfreemem);
    if (!role) return statement_failed(target.get(), "quoting the role " + target_role);
    MPLI_RETURN_IF_ERROR(
        run(target.get(), std::string("SET ROLE ") + role.get(), "becoming " + target_role));
  }
  std::uint64_t bytes = 0;
  for (const TableCopy& table : tables) {
    const std::string name = table.schema + "." + table.name;
    // FREEZE needs the table truncated (or created) in the same transaction.
    MPLI_RETURN_IF_ERROR(run(target.get(), "BEGIN; TRUNCATE ONLY " + quoted_table(table),
                             "emptying " + name + " here"));
    Status relayed =
        relay_table(source.get(), target.get(), table, bytes, on_progress, should_stop);
    if (!relayed.is_ok()) {
      (void)run(target.get(), "ROLLBACK", "rolling back " + name);
      return relayed;
    }
    MPLI_RETURN_IF_ERROR(run(target.get(), "COMMIT", "committing " + name));
  }
  MPLI_RETURN_IF_ERROR(run(source.get(), "COMMIT", "ending the source's transaction"));
  return bytes;
}

}  // namespace mpli::pgworker
