// The REST shapes of /v1/migrations: request bodies and query strings into portability.v1
// requests (each bad input a kInvalidArgument naming its field), and portability.v1 replies
// into the JSON the gateway answers, 64-bit integers as JSON numbers. Pure: no bus, no sockets
// (docs/migrations.md).
#pragma once

#include <google/protobuf/message.h>

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "libs/core/status.h"
#include "mpli/portability/v1/portability.pb.h"

namespace mpli::gateway {

// POST /v1/migrations (application/json): {"order_id": "ord_..", "target_offering_id": "<IRI>",
// "mode": "online"|"offline", "target_parameters": {"name": "value"}}. Parameter values are
// strings, integers or booleans (sent as their text). Unknown members are refused. The tenant
// and the idempotency key are the caller's to set.
Result<portability::v1::CreateMigrationRequest> create_migration_request(std::string_view body);

// GET /v1/migrations?state=&order_id=&limit=&cursor=: the filters checked (state one of the
// migration states, limit 1..500), unknown parameters refused.
Result<portability::v1::ListMigrationsRequest> list_migrations_request(
    const std::map<std::string, std::string>& params);

// "/v1/migrations/<id>", the id percent-encoded.
std::string migration_location(std::string_view id);

// A message with its proto field names, every field present, and every int64 (at any depth)
// a JSON number: byte counts, durations and versions stay far below 2^53 and clients compute
// with them.
nlohmann::json proto_to_json_with_numbers(const google::protobuf::Message& message);

// {"migrations": [...], "next_cursor": "..." or null}.
nlohmann::json migration_list_to_json(const portability::v1::ListMigrationsReply& reply);

}  // namespace mpli::gateway
