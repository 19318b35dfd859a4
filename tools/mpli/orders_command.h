// `mpli orders create|list|show|modify|delete|wait`: orders through a hub's /v1/orders
// (docs/cli.md, docs/orders.md).
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace mpli::cli {

int run_orders_command(int argc, char** argv);

// The member `key` of a JSON object as text: a string as is, another value as JSON, "" when
// absent or null (also used by `mpli bills`).
std::string json_text(const nlohmann::json& object, const std::string& key);

// GET /v1/orders as a table: ID, STATE, PROVIDER, OFFERING, QTY, UPDATED.
std::string orders_table(const nlohmann::json& orders);
// One order: its fields, parameters, outputs, secrets (when present), reasons and history.
std::string order_fields(const nlohmann::json& order);

}  // namespace mpli::cli
