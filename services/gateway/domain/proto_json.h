// Protobuf messages as JSON values in one pass, by reflection: what
// google::protobuf::util::MessageToJsonString gives with preserve_proto_field_names and
// always_print_primitive_fields, but built straight into nlohmann::json. The gateway used to
// print the JSON text and parse it back to adjust a few fields; for a resolution of 30 KB that
// round trip was most of the gateway's own time (docs/benchmarks.md, "Gateway").
//
// The mapping is protobuf's: field names as in the .proto; every singular primitive field,
// repeated field (as []) and map (as {}) printed, a message field, a oneof member or an
// `optional` field only when set; 64-bit integers as decimal strings; enums by name (by number
// when unknown); bytes as base64; NaN and infinities as "NaN", "Infinity", "-Infinity".
// Well-known types (google.protobuf.*) are rare here and have mappings of their own: they are
// left to protobuf's printer.
#pragma once

#include <google/protobuf/message.h>

#include <nlohmann/json.hpp>

namespace mpli::gateway {

nlohmann::json proto_to_json(const google::protobuf::Message& message);

}  // namespace mpli::gateway
