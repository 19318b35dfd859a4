#include "services/gateway/domain/migration_json.h"

#include <google/protobuf/descriptor.h>

#include <algorithm>
#include <array>

#include "services/gateway/domain/json_body.h"
#include "services/gateway/domain/proto_json.h"
#include "services/gateway/domain/url.h"

namespace mpli::gateway {
namespace {

using google::protobuf::FieldDescriptor;
using nlohmann::json;
namespace v1 = portability::v1;

constexpr const char* kCreateShape =
    "{\"order_id\": \"ord_...\", \"target_offering_id\": \"<IRI>\", \"mode\": "
    "\"online\"|\"offline\", \"target_parameters\": {...}}";

// The migration states of portability.proto (Migration.state), for the list filter.
constexpr std::array<std::string_view, 12> kStates = {
    "planned",   "provisioning_target", "exporting",    "transferring",
    "importing", "verifying",           "cutting_over", "decommissioning_source",
    "completed", "rolling_back",        "rolled_back",  "failed"};

constexpr size_t kMaxText = 2048;

Result<std::string> required_string(const json& object, const std::string& key,
                                    const std::string& what) {
  if (!object.contains(key) || object[key].is_null()) {
    return invalid_field(key, "required: " + what + "; send " + kCreateShape);
  }
  const json& value = object[key];
  if (!value.is_string() || trim(value.get_ref<const std::string&>()).empty()) {
    return invalid_field(key, "must be a non-empty string: " + what);
  }
  if (value.get_ref<const std::string&>().size() > kMaxText) {
    return invalid_field(key, "longer than " + std::to_string(kMaxText) + " characters");
  }
  return std::string(trim(value.get_ref<const std::string&>()));
}

Status copy_target_parameters(const json& object,
                              google::protobuf::Map<std::string, std::string>& to) {
  if (!object.contains("target_parameters") || object["target_parameters"].is_null()) {
    return Status::ok();
  }
  const json& parameters = object["target_parameters"];
  if (!parameters.is_object()) {
    return invalid_field("target_parameters", "must be an object of name: value");
  }
  for (const auto& [key, value] : parameters.items()) {
    std::string field = "target_parameters." + key;
    if (trim(key).empty() || key.size() > 128) {
      return invalid_field(field, "a parameter name is 1 to 128 characters");
    }
    if (value.is_string()) {
      if (value.get_ref<const std::string&>().size() > kMaxText) {
        return invalid_field(field, "longer than " + std::to_string(kMaxText) + " characters");
      }
      to[key] = value.get<std::string>();
    } else if (value.is_boolean()) {
      to[key] = value.get<bool>() ? "true" : "false";
    } else if (value.is_number_integer()) {
      to[key] = value.dump();
    } else {
      return invalid_field(field, "must be a string, an integer or a boolean");
    }
  }
  return Status::ok();
}

// Replaces protobuf's decimal strings of int64 fields in `body` (printed from `message`) with
// numbers, descending into message fields.
void int64_as_numbers(const google::protobuf::Message& message, json& body) {
  const auto* descriptor = message.GetDescriptor();
  const auto* reflection = message.GetReflection();
  for (int i = 0; i < descriptor->field_count(); ++i) {
    const FieldDescriptor* field = descriptor->field(i);
    if (!body.contains(field->name())) continue;
    json& value = body[field->name()];
    if (field->is_map()) continue;  // string maps only in these protos
    if (field->cpp_type() == FieldDescriptor::CPPTYPE_INT64) {
      if (field->is_repeated()) {
        for (int k = 0; k < reflection->FieldSize(message, field); ++k) {
          value[k] = reflection->GetRepeatedInt64(message, field, k);
        }
      } else {
        value = reflection->GetInt64(message, field);
      }
    } else if (field->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
      if (field->is_repeated()) {
        for (int k = 0; k < reflection->FieldSize(message, field); ++k) {
          int64_as_numbers(reflection->GetRepeatedMessage(message, field, k), value[k]);
        }
      } else if (reflection->HasField(message, field)) {
        int64_as_numbers(reflection->GetMessage(message, field), value);
      }
    }
  }
}

}  // namespace

Result<v1::CreateMigrationRequest> create_migration_request(std::string_view body) {
  MPLI_ASSIGN_OR_RETURN(json object, parse_object(body, kCreateShape));
  MPLI_RETURN_IF_ERROR(only_known_members(
      object, "", {"order_id", "target_offering_id", "mode", "target_parameters"}));
  v1::CreateMigrationRequest request;
  MPLI_ASSIGN_OR_RETURN(std::string order,
                        required_string(object, "order_id", "the order to move"));
  MPLI_ASSIGN_OR_RETURN(std::string target, required_string(object, "target_offering_id",
                                                            "the IRI of the offering to move to"));
  request.set_order_id(order);
  request.set_target_offering_id(target);
  if (object.contains("mode") && !object["mode"].is_null()) {
    const json& mode = object["mode"];
    if (!mode.is_string() || (mode != "online" && mode != "offline")) {
      return invalid_field("mode",
                           "online (logical replication, short write downtime) or offline "
                           "(dump and restore); leave it out to let the hub choose");
    }
    request.set_mode(mode.get<std::string>());
  }
  MPLI_RETURN_IF_ERROR(copy_target_parameters(object, *request.mutable_target_parameters()));
  return request;
}

Result<v1::ListMigrationsRequest> list_migrations_request(
    const std::map<std::string, std::string>& params) {
  v1::ListMigrationsRequest request;
  for (const auto& [key, value] : params) {
    if (key == "state") {
      if (std::find(kStates.begin(), kStates.end(), value) == kStates.end()) {
        return invalid_field("state",
                             "one of planned, provisioning_target, exporting, transferring, "
                             "importing, verifying, cutting_over, decommissioning_source, "
                             "completed, rolling_back, rolled_back, failed");
      }
      request.set_state(value);
    } else if (key == "order_id") {
      if (value.empty() || value.size() > 256) {
        return invalid_field("order_id", "an order id, 1 to 256 characters");
      }
      request.set_order_id(value);
    } else if (key == "limit") {
      auto n = integer_between(value, 1, 500);
      if (!n) return invalid_field("limit", range_text(1, 500));
      request.set_limit(static_cast<int32_t>(*n));
    } else if (key == "cursor") {
      if (value.empty()) return invalid_field("cursor", "must not be empty");
      request.set_cursor(value);
    } else {
      return invalid_field(key, "unknown parameter (known: state, order_id, limit, cursor)");
    }
  }
  return request;
}

std::string migration_location(std::string_view id) {
  return "/v1/migrations/" + percent_encode(id);
}

json proto_to_json_with_numbers(const google::protobuf::Message& message) {
  json body = proto_to_json(message);
  int64_as_numbers(message, body);
  return body;
}

json migration_list_to_json(const v1::ListMigrationsReply& reply) {
  json migrations = json::array();
  for (const auto& migration : reply.migrations()) {
    migrations.push_back(proto_to_json_with_numbers(migration));
  }
  json body = {{"migrations", std::move(migrations)}, {"next_cursor", nullptr}};
  if (!reply.next_cursor().empty()) body["next_cursor"] = reply.next_cursor();
  return body;
}

}  // namespace mpli::gateway
