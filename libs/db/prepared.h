// Statements on hot paths as prepared statements of the connection that runs them: PostgreSQL
// parses, analyses and plans a statement sent with exec_params every time, which was a third of
// its CPU per order in bench/delivery. A prepared one is planned once per connection (then
// generic or custom plans as PostgreSQL decides) and the server only binds and executes.
//
//   db::exec_prepared(tx, kFindOrderSql, id);   // same result as tx.exec_params(kFindOrderSql, id)
//
// The statement is named after its text (statement_name), declared to the connection on every
// call (a map look-up in libpqxx) and sent to the server on its first use on that connection,
// so a pool's fresh connection after a PostgreSQL restart prepares it again by itself.
#pragma once

#include <pqxx/pqxx>
#include <string>
#include <utility>

namespace mpli::db {

// "mpli_" and 16 hex digits of a 64-bit FNV-1a hash of the text: the same text always gets the
// same name, and two texts one name only by a collision libpqxx reports (it refuses to redefine
// a statement) rather than runs.
std::string statement_name(const std::string& sql);

template <typename... Args>
pqxx::result exec_prepared(pqxx::transaction_base& tx, const std::string& sql, Args&&... args) {
  const std::string name = statement_name(sql);
  tx.conn().prepare(name, sql);
  return tx.exec_prepared(name, std::forward<Args>(args)...);
}

}  // namespace mpli::db
