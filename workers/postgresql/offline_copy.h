// The offline copy's table data (docs/migrations.md, "The offline copy"): the worker reads each
// ordinary table of the source with COPY TO STDOUT and writes the same bytes into COPY FROM STDIN
// on its own server, table by table, instead of pg_restore reading pg_dump's archive of them.
// One process relays one stream (no archive format, no second pipe) and the rows land frozen in
// binary where both servers allow it: the copy costs the two cores less than pg_dump | pg_restore
// does, which leaves room for verifying both sides (docs/benchmarks.md, "Portability"). The
// schema, the rest of the data section (sequences, large objects, extension tables) and the
// indexes and constraints still come from pg_dump | pg_restore.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "libs/core/status.h"
#include "workers/postgresql/domain/table_copy.h"

namespace mpli::pgworker {

// The source's ordinary tables (partitions included, each on its own; partitioned parents hold
// no rows) in user schemas, without an extension's member tables, largest first; binary when
// `target_version_num` is the source's major version and every column's type has send and
// receive functions.
Result<std::vector<TableCopy>> tables_to_copy(const std::string& source_dsn,
                                              int target_version_num);

// Drops, with CASCADE, every user table of the database at `dsn`: what an earlier attempt of the
// same import left, so that the schema is restored onto an empty database. Returns how many.
Result<int> drop_user_tables(const std::string& dsn);

// Copies each table's rows: on the source in one REPEATABLE READ READ ONLY transaction, on the
// target as `target_role` (the tables' owner, as pg_restore --role), one transaction per table
// (TRUNCATE, COPY ... FREEZE, COMMIT). Returns the bytes
// relayed; `on_progress` gets the bytes so far about once a second, `should_stop` is asked as
// often and ends the copy with kDeadlineExceeded.
Result<std::uint64_t> copy_tables(const std::string& source_dsn, const std::string& target_dsn,
                                  const std::string& target_role,
                                  const std::vector<TableCopy>& tables,
                                  const std::function<void(std::uint64_t)>& on_progress,
                                  const std::function<bool()>& should_stop);

}  // namespace mpli::pgworker
