// Exactly-once apply for event consumers: the ids of applied events are recorded in the
// consumer's own schema (<schema>.applied_events) in the same transaction as the state change,
// so a redelivered event finds its id and changes nothing.
#pragma once

#include <pqxx/pqxx>
#include <string>

#include "libs/core/status.h"

namespace mpli::db {

// Creates <schema>.applied_events when missing (safe from every instance at start).
Status ensure_applied_events_table(pqxx::connection& connection, const std::string& schema);

// Records `event_id` for `consumer` inside `tx`: true the first time, false when it was
// applied before (the caller then returns without changing anything).
Result<bool> record_applied(pqxx::work& tx, const std::string& schema, const std::string& consumer,
                            const std::string& event_id);

}  // namespace mpli::db
