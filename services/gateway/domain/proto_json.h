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

#include <map>
#include <nlohmann/json.hpp>
#include <string>

namespace mpli::gateway {

nlohmann::json proto_to_json(const google::protobuf::Message& message);

// The same JSON as proto_to_json(message).dump() (members by name, as nlohmann orders them),
// written straight into text without building the tree: a resolution of 40 KB is thousands of
// small values, and the tree's allocations were most of the gateway's time on it. `overrides`
// replaces or adds top-level members: name -> JSON text, written as given.
std::string proto_to_json_text(const google::protobuf::Message& message,
                               const std::map<std::string, std::string>& overrides = {});

}  // namespace mpli::gateway
