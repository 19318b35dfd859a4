// The PostgreSQL worker's decisions, free of any database: what an order's database and role are
// called, which parameters PostgreSQL can enforce (and what the worker says about the others),
// where an export may be written, and which server errors are worth another attempt.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "libs/core/status.h"

namespace mpli::pgworker {

// PostgreSQL truncates identifiers to NAMEDATALEN - 1 bytes; a longer name would silently alias.
constexpr std::size_t kMaxIdentifierBytes = 63;

// "mpli_" + the order id's ASCII letters and digits, lower-cased, at most 63 bytes: the same
// order always names the same database and role, so a redelivered item finds what the first
// attempt made. kInvalidArgument when the id has no letter or digit.
Result<std::string> database_name(const std::string& order_id);

// What an item's parameters ask of PostgreSQL.
struct DatabaseParameters {
  // CONNECTION LIMIT of the role and the database; -1 = unlimited (PostgreSQL's default), which
  // is also what an absent parameter means: after a modify the parameters are the whole new set.
  int connection_limit = -1;
  // One sentence per parameter the worker does not apply, for the outcome's message.
  std::vector<std::string> notes;
};

// kInvalidArgument (field named) when connection_limit is not an integer >= -1.
Result<DatabaseParameters> parse_parameters(const std::map<std::string, std::string>& parameters);

// postgresql://user:password@host:port/database, the host bracketed when it is an IPv6 address.
// Names and password must be URI-safe already (ours are: [a-z0-9_] and base64url).
std::string connection_uri(const std::string& host, int port, const std::string& user,
                           const std::string& password, const std::string& database);

// Where an export is written or an import read: `requested` (the parameter dump_path: a file
// name relative to `dump_dir`, or an absolute path inside it) or, when empty, `default_name`.
// kInvalidArgument for a path that leaves dump_dir (".." or another absolute path): the
// parameter comes from a consumer and must not name an arbitrary file on the provider's host.
Result<std::string> dump_file_path(const std::string& dump_dir, const std::string& requested,
                                   const std::string& default_name);

// True for SQLSTATEs after which the same statement may succeed later: connection exceptions
// (08), the server shutting down or starting (57P01..57P03), insufficient resources (53),
// serialization failures and deadlocks (40001, 40P01), an object in use (55006, e.g. a database
// that still has sessions), a lock wait that timed out (55P03).
bool retryable_sqlstate(const std::string& sqlstate);

}  // namespace mpli::pgworker
