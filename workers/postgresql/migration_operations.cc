#include "workers/postgresql/migration_operations.h"

#include <libpq-fe.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <pqxx/pqxx>
#include <thread>

#include "libs/process/child_process.h"
#include "libs/process/temp_directory.h"
#include "workers/postgresql/domain/database_plan.h"
#include "workers/postgresql/domain/migration_plan.h"
#include "workers/postgresql/domain/post_data_list.h"
#include "workers/postgresql/domain/row_hash.h"
#include "workers/postgresql/domain/user_tables.h"
#include "workers/postgresql/dump_pipe.h"
#include "workers/postgresql/offline_copy.h"
#include "workers/postgresql/pg_support.h"
#include "workers/postgresql/role_password.h"

namespace mpli::pgworker {

namespace {

constexpr std::chrono::milliseconds kPollInterval{50};
constexpr std::chrono::seconds kProgressEvery{5};
constexpr std::int64_t kDefaultMaxLagBytes = 1 << 20;

// The consumer's database on this side: the item's output `database` when it has one, else the
// order's name (the same on both sides: the target was provisioned for the same order id).
Result<std::string> consumer_database(const Work& work) {
  auto it = work.outputs().find("database");
  if (it != work.outputs().end() && !it->second.empty()) return it->second;
  return database_name(work.order_id());
}

// kFailedPrecondition when the consumer's database is not on this server.
Status require_database(AdminSession& session, const std::string& database,
                        const std::string& hint = "") {
  if (session.database_owner(database)) return Status::ok();
  return failed_precondition("database " + database + " does not exist on this server" + hint);
}

Result<MigrationNames> names_of(const Work& work) {
  std::string id = work.migration_id();
  if (id.empty()) id = parameter(work, "migration_id");
  return migration_names(id);
}

// The parameter, else the name derived from the migration id.
std::string named(const Work& work, const std::string& key, const std::string& derived) {
  std::string value = parameter(work, key);
  return value.empty() ? derived : value;
}

// The administrator's DSN pointed at another database of the same server, writable.
Result<std::string> dsn_for_database(const std::string& dsn, const std::string& database) {
  MPLI_ASSIGN_OR_RETURN(std::vector<DsnSetting> settings, parse_dsn(dsn));
  std::map<std::string, std::string> keywords;
  for (const auto& setting : settings) keywords[setting.keyword] = setting.value;
  keywords["dbname"] = database;
  keywords.emplace("connect_timeout", "10");
  // The worker's own sessions write also in a frozen database (export after an offline freeze).
  std::string& options_value = keywords["options"];
  options_value +=
      std::string(options_value.empty() ? "" : " ") + "-c default_transaction_read_only=off";
  return conninfo(keywords);
}

// How the target reaches the source: the import's source_* parameters and the secret
// source_migration_password (the source export's migration_password, prefixed by portability).
struct SourceEndpoint {
  std::map<std::string, std::string> keywords;  // libpq keywords, password included
  std::string describe() const {                // for messages: no password
    return keywords.at("user") + "@" + keywords.at("host") + ":" + keywords.at("port") + "/" +
           keywords.at("dbname");
  }
  std::string dsn() const { return conninfo(keywords); }
  std::map<std::string, std::string> environment() const {
    static const std::map<std::string, std::string> kEnv = {
        {"host", "PGHOST"},
        {"port", "PGPORT"},
        {"dbname", "PGDATABASE"},
        {"user", "PGUSER"},
        {"password", "PGPASSWORD"},
        {"connect_timeout", "PGCONNECT_TIMEOUT"},
        {"application_name", "PGAPPNAME"}};
    std::map<std::string, std::string> env;
    for (const auto& [key, value] : keywords) env[kEnv.at(key)] = value;
    return env;
  }
};

Result<SourceEndpoint> source_of(const Work& work) {
  SourceEndpoint source;
  for (const auto& [field, keyword] : {std::pair<const char*, const char*>{"source_host", "host"},
                                       {"source_port", "port"},
                                       {"source_database", "dbname"},
                                       {"source_user", "user"}}) {
    std::string value = parameter(work, field);
    if (value.empty()) return invalid_field(field, "required: how the target reaches the source");
    source.keywords[keyword] = value;
  }
  const std::string& port = source.keywords["port"];
  if (port.size() > 5 || port.find_first_not_of("0123456789") != std::string::npos) {
    return invalid_field("source_port", "must be a port number, not '" + port + "'");
  }
  auto secret = work.secrets().find("source_migration_password");
  if (secret == work.secrets().end() || secret->second.empty()) {
    return invalid_field("secrets.source_migration_password",
                         "required: the source export's migration_password");
  }
  source.keywords["password"] = secret->second;
  source.keywords["connect_timeout"] = "10";
  source.keywords["application_name"] = "mpli-worker-postgresql";
  return source;
}

// A connection to the source as the migration role. A wrong password is a permanent failure
// naming the role, never the password.
Result<std::unique_ptr<pqxx::connection>> connect_source(const SourceEndpoint& source) {
  try {
    return std::make_unique<pqxx::connection>(source.dsn());
  } catch (const pqxx::broken_connection& e) {
    std::string message =
        "cannot connect to the source as " + source.describe() + ": " + last_line(e.what());
    if (permanent_connection_failure(message)) return failed_precondition(message);
    return unavailable(message);
  }
}

bool waited_too_long(const Work& work, worker::Progress& progress) {
  return progress.should_stop() || time_left(work, std::chrono::hours(1)).count() <= 0;
}

// Reports progress at most every kProgressEvery (each report extends delivery's deadline).
class Reporter {
 public:
  explicit Reporter(worker::Progress& progress) : progress_(progress) {}
  void report(int percent, const std::string& message, bool now = false) {
    auto at = std::chrono::steady_clock::now();
    if (!now && message == last_ && at - last_at_ < kProgressEvery) return;
    last_ = message;
    last_at_ = at;
    progress_.report(percent, message);
  }

 private:
  worker::Progress& progress_;
  std::string last_;
  std::chrono::steady_clock::time_point last_at_{};
};

std::vector<std::string> user_schemas(pqxx::nontransaction& tx) {
  std::vector<std::string> schemas;
  for (const auto& row : tx.exec(std::string("SELECT n.nspname FROM pg_namespace n WHERE ") +
                                 kInUserSchema + " ORDER BY 1")) {
    schemas.push_back(row[0].as<std::string>());
  }
  return schemas;
}

// The database's large objects (each has privileges of its own: lo_compat_privileges is off).
std::vector<std::string> large_object_oids(pqxx::nontransaction& tx) {
  std::vector<std::string> oids;
  for (const auto& row : tx.exec("SELECT oid::text FROM pg_largeobject_metadata ORDER BY oid")) {
    oids.push_back(row[0].as<std::string>());
  }
  return oids;
}

int user_table_count(pqxx::nontransaction& tx) {
  return tx
      .exec1(std::string(
                 "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = "
                 "c.relnamespace WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition AND ") +
             kInUserSchema)[0]
      .as<int>();
}

bool subscription_exists(pqxx::nontransaction& tx, const std::string& subscription) {
  return !tx.exec_params("SELECT 1 FROM pg_subscription WHERE subname = $1", subscription).empty();
}

// Drops a subscription without touching the source (the slot is the source cleanup's).
void drop_subscription_locally(pqxx::connection& conn, pqxx::nontransaction& tx,
                               const std::string& subscription) {
  const std::string sub = conn.quote_name(subscription);
  tx.exec0("ALTER SUBSCRIPTION " + sub + " DISABLE");
  tx.exec0("ALTER SUBSCRIPTION " + sub + " SET (slot_name = NONE)");
  tx.exec0("DROP SUBSCRIPTION " + sub);
}

// Ends the sessions `where` selects in pg_stat_activity ($1 = the database) in passes, until a
// pass finds none: a session that was starting during one pass is caught by the next.
Result<int> end_sessions(pqxx::nontransaction& tx, const std::string& where,
                         const std::string& database, const std::string& cutoff, const Work& work,
                         worker::Progress& progress) {
  int ended = 0;
  for (;;) {
    auto rows = tx.exec_params(
        "SELECT pid, pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 "
        "AND pid <> pg_backend_pid() AND backend_type = 'client backend' AND " +
            where,
        database, cutoff);
    if (rows.empty()) return ended;
    ended += static_cast<int>(rows.size());
    // A terminated backend is gone only once it has rolled back: wait for that before the next
    // pass, so none of its transactions can still commit after we return.
    for (;;) {
      bool left = false;
      for (const auto& row : rows) {
        left = left ||
               !tx.exec_params("SELECT 1 FROM pg_stat_activity WHERE pid = $1", row[0].as<int>())
                    .empty();
      }
      if (!left) break;
      if (waited_too_long(work, progress)) {
        return deadline_exceeded("sessions of " + database + " are still ending");
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }
}

// The runtime settings of a database (pg_db_role_setting, role 0), e.g. "mpli.frozen_at".
std::optional<std::string> database_setting(pqxx::nontransaction& tx, const std::string& database,
                                            const std::string& name) {
  auto rows = tx.exec_params(
      "SELECT substr(s, length($2) + 2) FROM pg_db_role_setting r "
      "JOIN pg_database d ON d.oid = r.setdatabase, unnest(r.setconfig) s "
      "WHERE d.datname = $1 AND r.setrole = 0 AND s LIKE $2 || '=%'",
      database, name);
  if (rows.empty()) return std::nullopt;
  return rows[0][0].as<std::string>();
}

using PgConn = std::unique_ptr<PGconn, decltype(&PQfinish)>;
using PgResult = std::unique_ptr<PGresult, decltype(&PQclear)>;

Status exec_command(PGconn* conn, const std::string& sql) {
  PgResult result(PQexec(conn, sql.c_str()), PQclear);
  if (PQresultStatus(result.get()) != PGRES_COMMAND_OK) {
    return internal_error("PostgreSQL: " + first_line(PQerrorMessage(conn)));
  }
  return Status::ok();
}

// Adds every row of COPY (query) TO STDOUT to `digest`.
Status digest_copy(PGconn* conn, const std::string& query, RowDigestSum& digest) {
  PgResult started(PQexec(conn, ("COPY (" + query + ") TO STDOUT").c_str()), PQclear);
  if (PQresultStatus(started.get()) != PGRES_COPY_OUT) {
    return internal_error("PostgreSQL: " + first_line(PQerrorMessage(conn)));
  }
  for (;;) {
    char* line = nullptr;
    int n = PQgetCopyData(conn, &line, 0);
    if (n < 0) break;
    digest.add_row(std::string_view(line, static_cast<std::size_t>(n)));
    PQfreemem(line);
  }
  PgResult done(PQgetResult(conn), PQclear);
  if (PQresultStatus(done.get()) != PGRES_COMMAND_OK) {
    return internal_error("PostgreSQL: " + first_line(PQerrorMessage(conn)));
  }
  while (PGresult* more = PQgetResult(conn)) PQclear(more);
  return Status::ok();
}

// Adds the count and the row-hash sum `query` (row_hash_query) returns to `digest`.
Status sum_row_hashes(PGconn* conn, const std::string& query, RowDigestSum& digest) {
  PgResult summed(PQexec(conn, query.c_str()), PQclear);
  if (PQresultStatus(summed.get()) != PGRES_TUPLES_OK || PQntuples(summed.get()) != 1) {
    return internal_error("PostgreSQL: " + first_line(PQerrorMessage(conn)));
  }
  MPLI_ASSIGN_OR_RETURN(Int128Parts sum, parse_sum(PQgetvalue(summed.get(), 0, 1)));
  digest.add_rows(std::stoll(PQgetvalue(summed.get(), 0, 0)), sum.high, sum.low);
  return Status::ok();
}

// The columns of each table, in attnum order, for the row hash.
Result<std::vector<std::vector<ColumnToHash>>> columns_of(PGconn* conn,
                                                          const std::vector<TableToScan>& tables) {
  std::vector<std::vector<ColumnToHash>> columns;
  columns.reserve(tables.size());
  for (const auto& table : tables) {
    const char* values[] = {table.quoted.c_str()};
    PgResult listed(PQexecParams(conn,
                                 "SELECT quote_ident(attname), atttypid, attnotnull FROM "
                                 "pg_attribute WHERE attrelid = $1::regclass AND attnum > 0 "
                                 "AND NOT attisdropped ORDER BY attnum",
                                 1, nullptr, values, nullptr, nullptr, 0),
                    PQclear);
    if (PQresultStatus(listed.get()) != PGRES_TUPLES_OK) {
      return internal_error("PostgreSQL: " + first_line(PQerrorMessage(conn)));
    }
    auto& out = columns.emplace_back();
    for (int i = 0; i < PQntuples(listed.get()); ++i) {
      out.push_back({PQgetvalue(listed.get(), i, 0),
                     static_cast<std::uint32_t>(std::stoul(PQgetvalue(listed.get(), i, 1))),
                     std::string(PQgetvalue(listed.get(), i, 2)) == "t"});
    }
  }
  return columns;
}

// A session that prints values as every other checksum session does, inside a REPEATABLE READ
// transaction on `snapshot` ("" = its own).
Result<PgConn> checksum_session(const std::string& dsn, const std::string& snapshot) {
  PgConn conn(PQconnectdb(dsn.c_str()), PQfinish);
  if (PQstatus(conn.get()) != CONNECTION_OK) {
    std::string why = first_line(PQerrorMessage(conn.get()));
    if (permanent_connection_failure(why)) return failed_precondition(why);
    return unavailable("cannot connect for the checksum: " + why);
  }
  // Both sides must print every value alike.
  MPLI_RETURN_IF_ERROR(exec_command(
      conn.get(),
      "SET DateStyle = 'ISO, YMD'; SET TimeZone = 'UTC'; SET IntervalStyle = 'postgres'; "
      "SET extra_float_digits = 3; SET bytea_output = 'hex'"));
  MPLI_RETURN_IF_ERROR(exec_command(conn.get(), "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"));
  if (!snapshot.empty()) {
    std::string quoted(snapshot.size() * 2 + 1, '\0');
    int error = 0;
    quoted.resize(
        PQescapeStringConn(conn.get(), quoted.data(), snapshot.c_str(), snapshot.size(), &error));
    Status imported = exec_command(conn.get(), "SET TRANSACTION SNAPSHOT '" + quoted + "'");
    if (!imported.is_ok()) {
      return failed_precondition(
          "snapshot " + snapshot +
          " is no longer pinned (the worker that pinned it at finalize restarted, or the pin "
          "expired): the target cannot be compared as of the cut-over; " +
          imported.message());
    }
  }
  return conn;
}

// What of the source one pg_dump | pg_restore moves: pg_dump's selection (--schema-only,
// --section=..., --exclude-table-data=...), and whether pg_restore first drops what a previous
// attempt restored of it (not for data alone, which pg_restore cannot clean).
struct DumpPart {
  std::vector<std::string> dump_args;
  bool clean = true;
  std::string what;  // for messages: "the schema", ...
};

// pg_dump from the source piped into pg_restore on this server's `database` (objects owned by
// its role), in one transaction.
// pg_dump's arguments for a part, pg_restore's for restoring it into `database`.
std::vector<std::string> dump_args(const DumpPart& part) {
  // Uncompressed: the archive only crosses a pipe into pg_restore on this machine, where
  // compressing it would cost about a CPU-second per GiB (2 of the copy's 20) and save nothing.
  std::vector<std::string> args = {"--format=custom", "--compress=0",      "--no-owner",
                                   "--no-privileges", "--no-publications", "--no-subscriptions"};
  args.insert(args.end(), part.dump_args.begin(), part.dump_args.end());
  return args;
}
std::vector<std::string> restore_args(const DumpPart& part, const std::string& database) {
  std::vector<std::string> args;
  if (part.clean) args = {"--clean", "--if-exists"};
  for (const char* arg : {"--no-owner", "--no-privileges"}) args.emplace_back(arg);
  args.push_back("--role=" + database);
  for (const char* arg : {"--exit-on-error", "--single-transaction"}) args.emplace_back(arg);
  args.push_back("--dbname=" + database);
  return args;
}

Result<PipeResult> dump_into(const ProvisionerConfig& config, const Work& work,
                             const SourceEndpoint& source, const std::string& database,
                             int server_version, const DumpPart& part, worker::Progress& progress) {
  PipeCommand dump;
  dump.program = tool_path(config, server_version, "pg_dump");
  dump.args = dump_args(part);
  dump.environment = source.environment();
  PipeCommand restore;
  restore.program = tool_path(config, server_version, "pg_restore");
  restore.args = restore_args(part, database);
  MPLI_ASSIGN_OR_RETURN(restore.environment, libpq_environment(config.server_dsn, database));
  auto deadline = std::chrono::steady_clock::now() + time_left(work, config.default_tool_timeout);
  Reporter reporter(progress);
  MPLI_ASSIGN_OR_RETURN(PipeResult piped,
                        run_pipe(
                            dump, restore, deadline,
                            [&](std::uint64_t bytes) {
                              reporter.report(20, std::to_string(bytes) + " bytes of " + part.what +
                                                      " streamed from the source");
                            },
                            [&] { return progress.should_stop(); }));
  if (piped.timed_out) {
    return deadline_exceeded("pg_dump | pg_restore of " + part.what +
                             " did not finish before the item's deadline (" +
                             std::to_string(piped.bytes) + " bytes streamed)");
  }
  if (piped.producer_exit != 0) {
    std::string line = last_line(piped.producer_output);
    std::string message = "pg_dump of the source " + source.describe() +
                          " failed: " + (line.empty() ? "no output" : line);
    if (permanent_connection_failure(message)) return failed_precondition(message);
    Outcome failed = tool_failure("pg_dump", piped.producer_output);
    return failed.retryable ? unavailable(message) : internal_error(message);
  }
  if (piped.consumer_exit != 0) {
    Outcome failed = tool_failure("pg_restore", piped.consumer_output);
    return failed.retryable ? unavailable(failed.message) : internal_error(failed.message);
  }
  return piped;
}

// One tool run to completion (pg_dump into a file, pg_restore listing or reading one: the
// small steps around the pipes), within the item's time left; its failure as a status.
Status run_tool(const ProvisionerConfig& config, const Work& work, const PipeCommand& command,
                const std::string& tool, const std::string& what) {
  process::Spec spec;
  spec.program = command.program;
  spec.args = command.args;
  spec.environment = command.environment;
  MPLI_ASSIGN_OR_RETURN(process::Completed ran,
                        process::run(spec, time_left(work, config.default_tool_timeout)));
  if (ran.exit_code == 0) return Status::ok();
  Outcome failed = tool_failure(tool, ran.output);
  if (permanent_connection_failure(failed.message)) return failed_precondition(failed.message);
  return failed.retryable ? unavailable(failed.message)
                          : internal_error(failed.message + " (" + what + ")");
}

// The source's post-data section as an archive in `scratch` and its table of contents in two
// lists (domain/post_data_list.h): fetched while the rows are copied, restored after them.
struct PostDataArchive {
  std::string archive;
  std::string first_list;
  std::string foreign_keys_list;  // "" when there is no foreign key
  std::size_t foreign_keys = 0;
  std::uint64_t bytes = 0;  // the archive's size
};

Result<PostDataArchive> fetch_post_data(const ProvisionerConfig& config, const Work& work,
                                        const SourceEndpoint& source, int server_version,
                                        const process::TempDirectory& scratch) {
  PostDataArchive fetched;
  fetched.archive = scratch.file("post-data.dump");
  PipeCommand dump{tool_path(config, server_version, "pg_dump"),
                   dump_args({{"--section=post-data"}, true, ""}), source.environment()};
  dump.args.push_back("--file=" + fetched.archive);
  MPLI_RETURN_IF_ERROR(run_tool(config, work, dump, "pg_dump", "the indexes and constraints"));
  std::error_code unsized;
  fetched.bytes = std::filesystem::file_size(fetched.archive, unsized);
  const std::string listing = scratch.file("post-data.list");
  PipeCommand list{tool_path(config, server_version, "pg_restore"),
                   {"--list", "--file=" + listing, fetched.archive},
                   {}};
  MPLI_RETURN_IF_ERROR(
      run_tool(config, work, list, "pg_restore --list", "the indexes and constraints"));

  std::ifstream in(listing);
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (!in.good() && !in.eof()) return internal_error("cannot read " + listing);
  const PostDataLists lists = split_post_data_list(text);
  auto write = [&](const std::string& path, const std::string& content) -> Status {
    std::ofstream out(path, std::ios::trunc);
    out << content;
    out.close();
    return out ? Status::ok() : internal_error("cannot write " + path);
  };
  fetched.first_list = scratch.file("first.list");
  MPLI_RETURN_IF_ERROR(write(fetched.first_list, lists.first));
  fetched.foreign_keys = lists.foreign_key_count;
  if (lists.foreign_key_count > 0) {
    fetched.foreign_keys_list = scratch.file("foreign-keys.list");
    MPLI_RETURN_IF_ERROR(write(fetched.foreign_keys_list, lists.foreign_keys));
  }
  return fetched;
}

// pg_restore of the entries `list` names from the fetched post-data archive, in one
// transaction. Without --clean: a re-delivered import dropped the tables (and with them all of
// this) first, and the foreign keys' DROP CONSTRAINT IF EXISTS would wait for the checksum.
Status restore_post_data(const ProvisionerConfig& config, const Work& work,
                         const std::string& database, int server_version,
                         const PostDataArchive& fetched, const std::string& list,
                         const std::string& what) {
  PipeCommand restore{tool_path(config, server_version, "pg_restore"),
                      restore_args({{}, false, what}, database),
                      {}};
  MPLI_ASSIGN_OR_RETURN(restore.environment, libpq_environment(config.server_dsn, database));
  restore.args.push_back("--use-list=" + list);
  restore.args.push_back(fetched.archive);
  return run_tool(config, work, restore, "pg_restore", what);
}

// Every user table of the database at `dsn` checksummed with `method` (RowDigestSum per table),
// read in block ranges on config.checksum_connections sessions sharing one snapshot: `pinned`
// (finalize's) when given, else one taken now.
struct DatabaseChecksum {
  std::vector<TableChecksum> tables;
  int sessions = 0;
  std::size_t ranges = 0;
};
Result<DatabaseChecksum> checksum_database(const ProvisionerConfig& config, const std::string& dsn,
                                           const std::string& pinned, ChecksumMethod method) {
  MPLI_ASSIGN_OR_RETURN(PgConn leader, checksum_session(dsn, pinned));
  // Every other session reads the leader's snapshot: the pinned one, or one exported now.
  std::string snapshot = pinned;
  if (snapshot.empty()) {
    PgResult exported(PQexec(leader.get(), "SELECT pg_export_snapshot()"), PQclear);
    if (PQresultStatus(exported.get()) != PGRES_TUPLES_OK) {
      return internal_error("PostgreSQL: " + first_line(PQerrorMessage(leader.get())));
    }
    snapshot = PQgetvalue(exported.get(), 0, 0);
  }
  // The user tables (partitions through their parent) and their heap sizes in blocks.
  PgResult listed(
      PQexec(leader.get(),
             (std::string(
                  "SELECT format('%I.%I', n.nspname, c.relname), n.nspname || '.' || c.relname, "
                  "c.relkind = 'p', CASE WHEN c.relkind = 'r' THEN pg_relation_size(c.oid) / "
                  "current_setting('block_size')::bigint ELSE 0 END FROM pg_class c JOIN "
                  "pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind IN ('r', 'p') AND NOT "
                  "c.relispartition AND ") +
              kInUserSchema + " ORDER BY 2")
                 .c_str()),
      PQclear);
  if (PQresultStatus(listed.get()) != PGRES_TUPLES_OK) {
    return internal_error("PostgreSQL: " + first_line(PQerrorMessage(leader.get())));
  }
  std::vector<TableToScan> tables;
  tables.reserve(static_cast<std::size_t>(PQntuples(listed.get())));
  for (int i = 0; i < PQntuples(listed.get()); ++i) {
    tables.push_back({PQgetvalue(listed.get(), i, 0), PQgetvalue(listed.get(), i, 1),
                      std::string(PQgetvalue(listed.get(), i, 2)) == "t",
                      std::stoll(PQgetvalue(listed.get(), i, 3))});
  }
  const std::vector<ScanRange> ranges = scan_ranges(tables, config.checksum_range_blocks);
  std::vector<std::vector<ColumnToHash>> columns;
  if (method == ChecksumMethod::kRowHash) {
    if (PQserverVersion(leader.get()) < kRowHashMinServerVersion) {
      return failed_precondition("method row-hash needs PostgreSQL 11 or later");
    }
    MPLI_ASSIGN_OR_RETURN(columns, columns_of(leader.get(), tables));
  }
  auto read_range = [&](PGconn* conn, const ScanRange& range, RowDigestSum& sum) {
    const TableToScan& table = tables[range.table];
    if (method == ChecksumMethod::kRowHash) {
      return sum_row_hashes(conn, row_hash_query(columns[range.table], table.quoted, range.where),
                            sum);
    }
    return digest_copy(conn, "SELECT * FROM " + table.quoted + " t" + range.where, sum);
  };

  // The ranges are shared out to the sessions; each sums into its own digests per table.
  const int sessions =
      std::max(1, std::min<int>(config.checksum_connections, static_cast<int>(ranges.size())));
  std::vector<std::vector<RowDigestSum>> sums(static_cast<std::size_t>(sessions),
                                              std::vector<RowDigestSum>(tables.size()));
  std::vector<Status> outcomes(static_cast<std::size_t>(sessions), Status::ok());
  std::atomic<std::size_t> next{0};
  std::atomic<std::size_t> done{0};
  std::atomic<bool> stop{false};
  auto read_ranges = [&](std::size_t session, PGconn* conn) {
    for (std::size_t r = next++; r < ranges.size() && !stop; r = next++) {
      Status read = read_range(conn, ranges[r], sums[session][ranges[r].table]);
      if (!read.is_ok()) {
        outcomes[session] =
            Status(read.code(), read.message() + " (table " + tables[ranges[r].table].name + ")");
        stop = true;
        return;
      }
      ++done;
    }
  };
  std::vector<std::thread> helpers;
  for (int i = 1; i < sessions; ++i) {
    helpers.emplace_back([&, i] {
      auto conn = checksum_session(dsn, snapshot);
      if (!conn) {
        outcomes[static_cast<std::size_t>(i)] = conn.status();
        stop = true;
        return;
      }
      read_ranges(static_cast<std::size_t>(i), conn->get());
    });
  }
  read_ranges(0, leader.get());
  for (auto& helper : helpers) helper.join();
  for (const auto& outcome : outcomes) MPLI_RETURN_IF_ERROR(outcome);
  MPLI_RETURN_IF_ERROR(exec_command(leader.get(), "COMMIT"));

  DatabaseChecksum result;
  result.sessions = sessions;
  result.ranges = done.load();
  result.tables.reserve(tables.size());
  for (std::size_t t = 0; t < tables.size(); ++t) {
    RowDigestSum total;
    for (const auto& session : sums) total.add(session[t]);
    result.tables.push_back({tables[t].name, total.rows(), total.hex()});
  }
  return result;
}

}  // namespace

PostgresMigrator::PostgresMigrator(ProvisionerConfig config)
    : config_(std::move(config)), pins_(std::make_shared<SnapshotPins>(config_.snapshot_pin_ttl)) {}

bool PostgresMigrator::is_migration_item(const Work& work) {
  return !work.migration_id().empty() || work.parameters().count("mode") > 0;
}

Outcome PostgresMigrator::export_database(const Work& work, worker::Progress& progress) const {
  return guarded("export", work, [&]() -> Result<Outcome> {
    MPLI_ASSIGN_OR_RETURN(MigrationMode mode, parse_mode(parameter(work, "mode")));
    MPLI_ASSIGN_OR_RETURN(MigrationNames names, names_of(work));
    MPLI_ASSIGN_OR_RETURN(std::string database, consumer_database(work));
    MPLI_ASSIGN_OR_RETURN(std::string password, generate_password());
    MPLI_ASSIGN_OR_RETURN(std::string verifier, scram_sha256_verifier(password));
    bool online = mode == MigrationMode::kOnline;

    AdminSession session(config_.server_dsn, database);
    MPLI_RETURN_IF_ERROR(require_database(session, database));
    MPLI_ASSIGN_OR_RETURN(std::string dsn, dsn_for_database(config_.server_dsn, database));
    pqxx::connection conn(dsn);
    pqxx::nontransaction tx(conn);
    // Logical replication carries no large object: online, a database with any would arrive
    // without them. Offline pg_dump reads each with its own privileges (granted below).
    const std::vector<std::string> large_objects = large_object_oids(tx);
    if (online && !large_objects.empty()) {
      return failed_precondition(
          "the database has " + std::to_string(large_objects.size()) +
          " large object(s), which logical replication does not carry: migrate it offline");
    }
    const std::string role = session.q(names.role);
    // A new password each time: an earlier attempt's may be lost with its outcome.
    session.tx().exec0(std::string(session.role_exists(names.role) ? "ALTER" : "CREATE") +
                       " ROLE " + role + " WITH LOGIN " +
                       (online ? "REPLICATION" : "NOREPLICATION") + " PASSWORD " +
                       session.literal(verifier));
    // Offline it only reads (pg_dump); online the walsender and the table copies need more.
    session.tx().exec0("ALTER ROLE " + role +
                       " SET default_transaction_read_only = " + (online ? "off" : "on"));
    session.tx().exec0("GRANT CONNECT ON DATABASE " + session.q(database) + " TO " + role);

    tx.exec0("SET lock_timeout = '60s'");
    for (const std::string& schema : user_schemas(tx)) {
      const std::string s = conn.quote_name(schema);
      tx.exec0("GRANT USAGE ON SCHEMA " + s + " TO " + role);
      tx.exec0("GRANT SELECT ON ALL TABLES IN SCHEMA " + s + " TO " + role);
      tx.exec0("GRANT SELECT ON ALL SEQUENCES IN SCHEMA " + s + " TO " + role);
    }
    for (const std::string& grant : grant_large_objects(large_objects, role)) tx.exec0(grant);
    if (session.role_exists(database)) {
      // Tables the consumer creates later are readable too (else pg_dump would fail on them).
      tx.exec0("ALTER DEFAULT PRIVILEGES FOR ROLE " + conn.quote_name(database) +
               " GRANT SELECT ON TABLES TO " + role);
    }
    worker::StringMap outputs{{"migration_user", names.role}, {"database", database}};
    std::string message = "migration role " + names.role + " ready";
    if (online) {
      // Without a replica identity an UPDATE or DELETE on a published table fails on the source.
      auto keyless =
          tx.exec(std::string("SELECT format('%I.%I', n.nspname, c.relname) FROM pg_class c "
                              "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind = 'r' "
                              "AND c.relreplident = 'd' AND ") +
                  kInUserSchema +
                  " AND NOT EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = c.oid AND "
                  "i.indisprimary)");
      for (const auto& row : keyless) {
        tx.exec0("ALTER TABLE " + row[0].as<std::string>() + " REPLICA IDENTITY FULL");
      }
      if (tx.exec_params("SELECT 1 FROM pg_publication WHERE pubname = $1", names.publication)
              .empty()) {
        tx.exec0("CREATE PUBLICATION " + conn.quote_name(names.publication) + " FOR ALL TABLES");
      }
      outputs["publication"] = names.publication;
      message += ", publication " + names.publication + " for all tables";
      if (!keyless.empty()) {
        message += "; " + std::to_string(keyless.size()) +
                   " table(s) without a primary key set to REPLICA IDENTITY FULL";
      }
    }
    progress.report(90, message);
    return Outcome::success(std::move(outputs), {{"migration_password", password}}, message);
  });
}

namespace {

// The offline import (docs/migrations.md, "The offline copy"): schema, the rest of the data
// section, the tables' rows relayed by this worker, indexes and constraints, then the target's
// checksum (given a method).
Result<Outcome> import_offline(const ProvisionerConfig& config, const Work& work,
                               const SourceEndpoint& source, const std::string& database,
                               int version, const std::string& dsn, worker::Progress& progress) {
  const bool verify = !parameter(work, "method").empty();
  MPLI_ASSIGN_OR_RETURN(ChecksumMethod method, parse_checksum_method(parameter(work, "method")));
  // How long each part took, for the outcome's message (operators, and docs/benchmarks.md).
  std::string timings;
  auto lap = [&, at = std::chrono::steady_clock::now()](const std::string& part) mutable {
    const auto now = std::chrono::steady_clock::now();
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now - at).count();
    timings += (timings.empty() ? "" : ", ") + part + " " + std::to_string(ms) + " ms";
    at = now;
  };
  std::uint64_t bytes = 0;
  MPLI_ASSIGN_OR_RETURN(int dropped, drop_user_tables(dsn));
  MPLI_ASSIGN_OR_RETURN(std::vector<TableCopy> tables, tables_to_copy(source.dsn(), version));
  progress.report(5, "copying the schema of " + source.describe() +
                         (dropped > 0 ? " (" + std::to_string(dropped) +
                                            " table(s) of an earlier attempt dropped)"
                                      : ""));
  MPLI_ASSIGN_OR_RETURN(PipeResult schema,
                        dump_into(config, work, source, database, version,
                                  {{"--section=pre-data"}, true, "the schema"}, progress));
  lap("schema");
  // The data section without the tables copied below: sequences, large objects, the rows of
  // an extension's configuration tables. Beside the rows (it touches none of the copied
  // tables): its pg_dump's start-up and the sequences take no time of their own then.
  DumpPart rest{{"--section=data"}, false, "sequences and large objects"};
  for (const auto& table : tables) {
    rest.dump_args.push_back("--exclude-table-data=" + quoted_table(table));
  }
  // And the post-data section fetched meanwhile too (pg_dump's start-up and catalogue reads).
  // Its archive and lists (definitions, no rows) in a directory of the item's own.
  MPLI_ASSIGN_OR_RETURN(process::TempDirectory scratch,
                        process::TempDirectory::make("mpli-pgworker-"));
  Status other_data = Status::ok();
  std::uint64_t other_data_bytes = 0;
  PostDataArchive post_data;
  std::thread other_data_thread([&] {
    try {
      auto piped = dump_into(config, work, source, database, version, rest, progress);
      if (!piped) {
        other_data = piped.status();
        return;
      }
      other_data_bytes = piped->bytes;
      auto fetched = fetch_post_data(config, work, source, version, scratch);
      if (fetched) {
        post_data = std::move(*fetched);
      } else {
        other_data = fetched.status();
      }
    } catch (const std::exception& e) {  // not across the thread: reported as the import's
      other_data = internal_error(first_line(e.what()));
    }
  });
  Reporter reporter(progress);
  Result<std::uint64_t> copied = copy_tables(
      source.dsn(), dsn, database, tables,
      [&](std::uint64_t relayed) {
        reporter.report(40, std::to_string(relayed) + " bytes of table rows copied");
      },
      [&] { return progress.should_stop(); });
  other_data_thread.join();
  MPLI_RETURN_IF_ERROR(copied.status());
  MPLI_RETURN_IF_ERROR(other_data);
  lap("rows");
  bytes += schema.bytes + other_data_bytes + *copied;
  progress.report(80, std::to_string(tables.size()) + " table(s) copied (" +
                          std::to_string(*copied) + " bytes)");
  MPLI_RETURN_IF_ERROR(restore_post_data(config, work, database, version, post_data,
                                         post_data.first_list, "indexes and constraints"));
  lap("indexes and constraints");
  // The foreign keys beside the target's checksum: validating one reads its table on one core
  // and locks nothing the checksum's readers need (SHARE ROW EXCLUSIVE); everything before them
  // could (a primary key locks its table against readers while it is added).
  Status foreign_keys = Status::ok();
  std::thread foreign_keys_thread([&] {
    if (post_data.foreign_keys == 0) return;
    try {
      foreign_keys = restore_post_data(config, work, database, version, post_data,
                                       post_data.foreign_keys_list, "foreign keys");
    } catch (const std::exception& e) {  // not across the thread: reported as the import's
      foreign_keys = internal_error(first_line(e.what()));
    }
  });
  Result<DatabaseChecksum> summed = DatabaseChecksum{};
  if (verify) {
    progress.report(90,
                    "checksumming the target (" + std::string(checksum_method_name(method)) + ")");
    try {
      summed = checksum_database(config, dsn, "", method);
    } catch (const std::exception& e) {  // the thread above is joined before anything returns
      summed = internal_error(first_line(e.what()));
    }
  }
  foreign_keys_thread.join();
  MPLI_RETURN_IF_ERROR(foreign_keys);
  MPLI_RETURN_IF_ERROR(summed.status());
  if (verify || post_data.foreign_keys > 0) {
    lap(post_data.foreign_keys == 0 ? "checksum"
        : verify                    ? "foreign keys beside the checksum"
                                    : "foreign keys");
  }
  bytes += post_data.bytes;
  pqxx::connection conn(dsn);
  pqxx::nontransaction tx(conn);
  const int restored = user_table_count(tx);
  worker::StringMap outputs{{"bytes", std::to_string(bytes)}, {"tables", std::to_string(restored)}};
  std::string message = "restored " + std::to_string(restored) + " table(s) of " +
                        source.describe() + " (" + std::to_string(bytes) + " bytes streamed)";
  if (verify) {
    outputs["verification"] = verification_json(summed->tables);
    outputs["method"] = checksum_method_name(method);
    message += "; " + std::to_string(summed->tables.size()) + " table(s) " +
               checksum_method_name(method) + " checksummed";
  }
  message += " (" + timings + ")";
  return Outcome::success(std::move(outputs), {}, message);
}

}  // namespace

Outcome PostgresMigrator::import_database(const Work& work, worker::Progress& progress) const {
  return guarded("import", work, [&]() -> Result<Outcome> {
    MPLI_ASSIGN_OR_RETURN(MigrationMode mode, parse_mode(parameter(work, "mode")));
    MPLI_ASSIGN_OR_RETURN(SourceEndpoint source, source_of(work));
    MPLI_ASSIGN_OR_RETURN(std::string database, consumer_database(work));
    AdminSession session(config_.server_dsn, database);
    MPLI_RETURN_IF_ERROR(require_database(session, database, ": provision the target first"));
    int version = session.server_version();
    MPLI_ASSIGN_OR_RETURN(std::string dsn, dsn_for_database(config_.server_dsn, database));
    pqxx::connection conn(dsn);
    pqxx::nontransaction tx(conn);

    if (mode == MigrationMode::kOffline) {
      return import_offline(config_, work, source, database, version, dsn, progress);
    }

    MPLI_ASSIGN_OR_RETURN(MigrationNames names, names_of(work));
    const std::string subscription = named(work, "subscription", names.subscription);
    const std::string publication = named(work, "publication", names.publication);
    if (!subscription_exists(tx, subscription)) {
      MPLI_ASSIGN_OR_RETURN(auto source_conn, connect_source(source));
      {
        // A slot an earlier attempt created on the source, whose subscription never committed
        // here, would make CREATE SUBSCRIPTION fail.
        pqxx::nontransaction stx(*source_conn);
        stx.exec_params(
            "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots "
            "WHERE slot_name = $1 AND NOT active",
            subscription);
        if (stx.exec_params("SELECT 1 FROM pg_publication WHERE pubname = $1", publication)
                .empty()) {
          return failed_precondition("the source has no publication " + publication +
                                     ": export it online first");
        }
      }
      progress.report(5, "copying the schema of " + source.describe());
      MPLI_ASSIGN_OR_RETURN(PipeResult piped,
                            dump_into(config_, work, source, database, version,
                                      {{"--schema-only"}, true, "the schema"}, progress));
      progress.report(8, "schema copied (" + std::to_string(piped.bytes) + " bytes)");
      // The statement holds the source's password: keep it out of this server's log, also
      // when it fails (log_min_error_statement would print it).
      tx.exec0("SET log_statement = 'none'");
      tx.exec0("SET log_min_error_statement = 'panic'");
      tx.exec0("CREATE SUBSCRIPTION " + conn.quote_name(subscription) + " CONNECTION " +
               tx.quote(source.dsn()) + " PUBLICATION " + conn.quote_name(publication) +
               " WITH (copy_data = true, create_slot = true, enabled = true, slot_name = " +
               tx.quote(subscription) + ")");
      progress.report(10, "subscription " + subscription + " created; copying tables");
    }
    Reporter reporter(progress);
    int total = 0;
    for (;;) {
      auto row = tx.exec_params1(
          "SELECT count(*), count(*) FILTER (WHERE r.srsubstate = 'r') FROM pg_subscription_rel r "
          "JOIN pg_subscription s ON s.oid = r.srsubid WHERE s.subname = $1",
          subscription);
      total = row[0].as<int>();
      int ready = row[1].as<int>();
      if (ready == total) break;
      if (waited_too_long(work, progress)) {
        return deadline_exceeded(std::to_string(ready) + " of " + std::to_string(total) +
                                 " tables copied by " + subscription +
                                 " when the item's deadline passed");
      }
      reporter.report(10 + 80 * ready / total,
                      std::to_string(ready) + " of " + std::to_string(total) + " tables copied");
      std::this_thread::sleep_for(kPollInterval);
    }
    std::string bytes =
        tx.exec1(std::string("SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0) FROM "
                             "pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE "
                             "c.relkind = 'r' AND ") +
                 kInUserSchema)[0]
            .as<std::string>();
    return Outcome::success(
        {{"subscription", subscription}, {"bytes", bytes}, {"tables", std::to_string(total)}}, {},
        "subscription " + subscription + " copied all " + std::to_string(total) + " table(s) of " +
            source.describe());
  });
}

Outcome PostgresMigrator::catch_up(const Work& work, worker::Progress& progress) const {
  return guarded("catch_up", work, [&]() -> Result<Outcome> {
    MPLI_ASSIGN_OR_RETURN(SourceEndpoint source, source_of(work));
    MPLI_ASSIGN_OR_RETURN(MigrationNames names, names_of(work));
    MPLI_ASSIGN_OR_RETURN(
        std::int64_t max_lag,
        parse_byte_count("max_lag_bytes", parameter(work, "max_lag_bytes"), kDefaultMaxLagBytes));
    const std::string subscription = named(work, "subscription", names.subscription);
    {
      pqxx::connection conn(config_.server_dsn);
      pqxx::nontransaction tx(conn);
      if (!subscription_exists(tx, subscription)) {
        return failed_precondition("no subscription " + subscription + " here: import first");
      }
    }
    MPLI_ASSIGN_OR_RETURN(auto source_conn, connect_source(source));
    pqxx::nontransaction stx(*source_conn);
    Reporter reporter(progress);
    for (;;) {
      auto rows = stx.exec_params(
          "SELECT pg_wal_lsn_diff(pg_current_wal_insert_lsn(), confirmed_flush_lsn)::bigint "
          "FROM pg_replication_slots WHERE slot_name = $1 AND confirmed_flush_lsn IS NOT NULL",
          subscription);
      if (rows.empty()) {
        return failed_precondition("the source has no replication slot " + subscription);
      }
      auto lag = rows[0][0].as<std::int64_t>();
      if (lag <= max_lag) {
        return Outcome::success(
            {{"lag_bytes", std::to_string(lag)}}, {},
            subscription + " is " + std::to_string(lag) + " bytes behind the source");
      }
      if (waited_too_long(work, progress)) {
        return deadline_exceeded(subscription + " still " + std::to_string(lag) +
                                 " bytes behind when the item's deadline passed");
      }
      reporter.report(50, std::to_string(lag) + " bytes behind the source");
      std::this_thread::sleep_for(kPollInterval);
    }
  });
}

Outcome PostgresMigrator::freeze(const Work& work, worker::Progress& progress) const {
  return guarded("freeze", work, [&]() -> Result<Outcome> {
    MPLI_ASSIGN_OR_RETURN(std::string database, consumer_database(work));
    AdminSession session(config_.server_dsn, database);
    MPLI_RETURN_IF_ERROR(require_database(session, database));
    auto& tx = session.tx();
    const std::string db = session.q(database);
    tx.exec0("ALTER DATABASE " + db + " SET default_transaction_read_only = on");
    // A role's own setting would win over the database's; the role-in-database one wins over it.
    if (session.role_exists(database)) {
      tx.exec0("ALTER ROLE " + db + " IN DATABASE " + db +
               " SET default_transaction_read_only = on");
    }
    // Sessions that begin from here on read the setting; every one that began before is ended.
    std::string cutoff = tx.exec1("SELECT clock_timestamp()::text")[0].as<std::string>();
    std::optional<std::string> frozen_at = database_setting(tx, database, "mpli.frozen_at");
    if (!frozen_at) {
      // Kept with the database, so a repeated freeze reports when the write downtime began.
      frozen_at = rfc3339_ms(std::chrono::system_clock::now());
      tx.exec0("ALTER DATABASE " + db + " SET mpli.frozen_at = " + session.literal(*frozen_at));
    }
    MPLI_ASSIGN_OR_RETURN(int ended, end_sessions(tx, "backend_start < $2::timestamptz", database,
                                                  cutoff, work, progress));
    // The insert position: every commit is in the WAL up to it. Not pg_current_wal_lsn(), the
    // write position, which lags behind commits on a server with synchronous_commit off (until
    // the WAL writer wakes, seconds when it hibernates): finalize would stop short of them.
    std::string lsn = tx.exec1("SELECT pg_current_wal_insert_lsn()::text")[0].as<std::string>();
    return Outcome::success({{"frozen_at", *frozen_at}, {"lsn", lsn}}, {},
                            database + " is read-only since " + *frozen_at + "; " +
                                std::to_string(ended) + " earlier session(s) ended");
  });
}

Outcome PostgresMigrator::unfreeze(const Work& work, worker::Progress& progress) const {
  return guarded("unfreeze", work, [&]() -> Result<Outcome> {
    MPLI_ASSIGN_OR_RETURN(std::string database, consumer_database(work));
    AdminSession session(config_.server_dsn, database);
    MPLI_RETURN_IF_ERROR(require_database(session, database));
    auto& tx = session.tx();
    const std::string db = session.q(database);
    tx.exec0("ALTER DATABASE " + db + " RESET default_transaction_read_only");
    tx.exec0("ALTER DATABASE " + db + " RESET mpli.frozen_at");
    if (session.role_exists(database)) {
      tx.exec0("ALTER ROLE " + db + " IN DATABASE " + db + " RESET default_transaction_read_only");
    }
    // Sessions opened during the freeze keep it until they reconnect: end them.
    std::string now = tx.exec1("SELECT clock_timestamp()::text")[0].as<std::string>();
    MPLI_ASSIGN_OR_RETURN(int ended, end_sessions(tx, "backend_start < $2::timestamptz", database,
                                                  now, work, progress));
    return Outcome::success(
        {}, {},
        database + " is writable again; " + std::to_string(ended) + " read-only session(s) ended");
  });
}

Outcome PostgresMigrator::finalize(const Work& work, worker::Progress& progress) const {
  return guarded("finalize", work, [&]() -> Result<Outcome> {
    MPLI_ASSIGN_OR_RETURN(SourceEndpoint source, source_of(work));
    MPLI_ASSIGN_OR_RETURN(MigrationNames names, names_of(work));
    MPLI_ASSIGN_OR_RETURN(std::uint64_t lsn, parse_lsn("lsn", parameter(work, "lsn")));
    MPLI_ASSIGN_OR_RETURN(std::string database, consumer_database(work));
    const std::string subscription = named(work, "subscription", names.subscription);
    AdminSession session(config_.server_dsn, database);
    MPLI_RETURN_IF_ERROR(require_database(session, database));
    MPLI_ASSIGN_OR_RETURN(std::string dsn, dsn_for_database(config_.server_dsn, database));
    pqxx::connection conn(dsn);
    pqxx::nontransaction tx(conn);
    MPLI_ASSIGN_OR_RETURN(auto source_conn, connect_source(source));
    pqxx::nontransaction stx(*source_conn);
    std::string note;
    // Absent: an earlier attempt dropped it, which it did only once caught up.
    if (subscription_exists(tx, subscription)) {
      Reporter reporter(progress);
      for (;;) {
        auto rows = stx.exec_params(
            "SELECT confirmed_flush_lsn::text FROM pg_replication_slots "
            "WHERE slot_name = $1 AND confirmed_flush_lsn IS NOT NULL",
            subscription);
        if (rows.empty()) {
          return failed_precondition("the source has no replication slot " + subscription);
        }
        MPLI_ASSIGN_OR_RETURN(std::uint64_t confirmed,
                              parse_lsn("confirmed_flush_lsn", rows[0][0].as<std::string>()));
        if (confirmed >= lsn) break;
        if (waited_too_long(work, progress)) {
          return deadline_exceeded(subscription + " confirmed " + rows[0][0].as<std::string>() +
                                   ", not yet " + parameter(work, "lsn") +
                                   ", when the item's deadline passed");
        }
        reporter.report(50, subscription + " at " + rows[0][0].as<std::string>() + " of " +
                                parameter(work, "lsn"));
        std::this_thread::sleep_for(kPollInterval);
      }
      try {
        // Also drops the slot on the source (else it would hold the source's WAL forever).
        tx.exec0("DROP SUBSCRIPTION " + conn.quote_name(subscription));
      } catch (const pqxx::sql_error& e) {
        drop_subscription_locally(conn, tx, subscription);
        note = "; the slot on the source is left to the source's cleanup (" + first_line(e.what()) +
               ")";
      }
    }
    progress.report(80, "subscription " + subscription + " dropped; setting sequences");
    auto sequences = stx.exec(
        "SELECT schemaname, sequencename, last_value FROM pg_sequences "
        "WHERE last_value IS NOT NULL");
    int set = 0;
    for (const auto& row : sequences) {
      auto done = tx.exec_params(
          "SELECT setval(to_regclass(format('%I.%I', $1::text, $2::text)), $3::bigint, true) "
          "WHERE to_regclass(format('%I.%I', $1::text, $2::text)) IS NOT NULL",
          row[0].as<std::string>(), row[1].as<std::string>(), row[2].as<std::string>());
      set += static_cast<int>(done.size());
    }
    // Nothing has written here since the subscription stopped: the consumer is moved here only
    // after this task succeeded. So the pinned snapshot is the target as the source was frozen.
    MPLI_ASSIGN_OR_RETURN(std::string snapshot, pins_->pin(work.migration_id(), dsn));
    return Outcome::success({{"sequences", std::to_string(set)}, {"snapshot", snapshot}}, {},
                            "caught up to " + parameter(work, "lsn") + ", subscription " +
                                subscription + " dropped, " + std::to_string(set) +
                                " sequence(s) set, snapshot " + snapshot + " pinned" + note);
  });
}

Outcome PostgresMigrator::checksum(const Work& work, worker::Progress& progress) const {
  return guarded("checksum", work, [&]() -> Result<Outcome> {
    MPLI_ASSIGN_OR_RETURN(ChecksumMethod method, parse_checksum_method(parameter(work, "method")));
    MPLI_ASSIGN_OR_RETURN(std::string database, consumer_database(work));
    MPLI_ASSIGN_OR_RETURN(std::string dsn, dsn_for_database(config_.server_dsn, database));
    const std::string pinned = parameter(work, "snapshot");
    MPLI_ASSIGN_OR_RETURN(DatabaseChecksum summed, checksum_database(config_, dsn, pinned, method));
    progress.report(100, std::to_string(summed.ranges) + " range(s) read");
    if (!pinned.empty()) pins_->release(work.migration_id());
    return Outcome::success({{"verification", verification_json(summed.tables)},
                             {"method", checksum_method_name(method)}},
                            {},
                            std::to_string(summed.tables.size()) + " table(s) of " + database +
                                " " + checksum_method_name(method) + " checksummed on " +
                                std::to_string(summed.sessions) + " connection(s)" +
                                (pinned.empty() ? "" : ", as of the snapshot pinned at finalize"));
  });
}

Outcome PostgresMigrator::hash_probe(const Work& work, worker::Progress& /*progress*/) const {
  return guarded("hash_probe", work, [&]() -> Result<Outcome> {
    // In the consumer's database: its encoding is part of what a row hash depends on.
    MPLI_ASSIGN_OR_RETURN(std::string database, consumer_database(work));
    MPLI_ASSIGN_OR_RETURN(std::string dsn, dsn_for_database(config_.server_dsn, database));
    pqxx::connection conn(dsn);
    if (conn.server_version() < kRowHashMinServerVersion) {
      return Outcome::success({{"row_hash_probe", ""}}, {},
                              "PostgreSQL before 11 has no seeded hash functions: no row hash");
    }
    pqxx::nontransaction tx(conn);
    std::string probe = tx.exec1(row_hash_probe_query())[0].as<std::string>();
    return Outcome::success({{"row_hash_probe", probe}}, {}, "row hash probe " + probe);
  });
}

Outcome PostgresMigrator::cleanup(const Work& work, worker::Progress& progress) const {
  return guarded("cleanup", work, [&]() -> Result<Outcome> {
    MPLI_ASSIGN_OR_RETURN(std::string database, consumer_database(work));
    std::string id =
        work.migration_id().empty() ? parameter(work, "migration_id") : work.migration_id();
    MigrationNames names;
    if (!id.empty()) {
      MPLI_ASSIGN_OR_RETURN(names, migration_names(id));
    }
    const std::string subscription = named(work, "subscription", names.subscription);
    const std::string publication = named(work, "publication", names.publication);
    const std::string role = named(work, "migration_user", names.role);
    if (subscription.empty() && publication.empty() && role.empty()) {
      return invalid_field("migration_id",
                           "required (or publication, subscription, migration_user)");
    }
    AdminSession session(config_.server_dsn, database);
    auto& admin = session.tx();
    std::vector<std::string> dropped;
    bool has_database = session.database_owner(database).has_value();
    std::unique_ptr<pqxx::connection> conn;
    std::unique_ptr<pqxx::nontransaction> tx;
    if (has_database) {
      MPLI_ASSIGN_OR_RETURN(std::string dsn, dsn_for_database(config_.server_dsn, database));
      conn = std::make_unique<pqxx::connection>(dsn);
      tx = std::make_unique<pqxx::nontransaction>(*conn);
    }
    // Target side: the subscription, without reaching the source (its slot is the source's).
    if (tx && !subscription.empty() && subscription_exists(*tx, subscription)) {
      drop_subscription_locally(*conn, *tx, subscription);
      dropped.push_back("subscription " + subscription);
    }
    // Source side: first no new logins of the role (a live subscriber would reconnect and hold
    // the slot), then its sessions, then the slot.
    bool has_role = !role.empty() && session.role_exists(role);
    if (has_role) {
      admin.exec0("ALTER ROLE " + session.q(role) + " NOLOGIN");
      admin.exec_params("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = $1",
                        role);
    }
    if (!subscription.empty()) {
      for (int attempt = 0;; ++attempt) {
        auto slot = admin.exec_params(
            "SELECT active_pid FROM pg_replication_slots WHERE slot_name = $1", subscription);
        if (slot.empty()) break;
        if (!slot[0][0].is_null()) {
          admin.exec_params("SELECT pg_terminate_backend($1)", slot[0][0].as<int>());
          if (attempt > 100 || waited_too_long(work, progress)) {
            return unavailable("replication slot " + subscription + " is still in use");
          }
          std::this_thread::sleep_for(std::chrono::milliseconds(50));
          continue;
        }
        admin.exec_params("SELECT pg_drop_replication_slot($1)", subscription);
        dropped.push_back("replication slot " + subscription);
        break;
      }
    }
    if (tx && !publication.empty() &&
        !tx->exec_params("SELECT 1 FROM pg_publication WHERE pubname = $1", publication).empty()) {
      tx->exec0("DROP PUBLICATION IF EXISTS " + conn->quote_name(publication));
      dropped.push_back("publication " + publication);
    }
    if (has_role) {
      // Its grants and default privileges in the consumer's database (and on the database).
      if (tx) tx->exec0("DROP OWNED BY " + conn->quote_name(role));
      admin.exec0("DROP OWNED BY " + session.q(role));
      admin.exec0("DROP ROLE IF EXISTS " + session.q(role));
      dropped.push_back("role " + role);
    }
    std::string message = "nothing of the migration was left here";
    if (!dropped.empty()) {
      message = "dropped";
      for (std::size_t i = 0; i < dropped.size(); ++i)
        message += (i == 0 ? " " : ", ") + dropped[i];
    }
    return Outcome::success({}, {}, message);
  });
}

}  // namespace mpli::pgworker
