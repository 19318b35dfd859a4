#include "services/gateway/domain/proto_json.h"

#include <google/protobuf/descriptor.h>
#include <google/protobuf/util/json_util.h>

#include <charconv>
#include <cmath>
#include <string>

namespace mpli::gateway {
namespace {

using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;
using nlohmann::json;

json floating(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "Infinity" : "-Infinity";
  return value;
}

// A float as protobuf prints it: its shortest decimal form, not the double it widens to.
json floating(float value) {
  if (!std::isfinite(value)) return floating(static_cast<double>(value));
  char text[32];
  auto written = std::to_chars(text, text + sizeof(text), value);
  return std::stod(std::string(text, written.ptr));
}

std::string base64(const std::string& bytes) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    uint32_t n = (static_cast<uint8_t>(bytes[i]) << 16) |
                 (static_cast<uint8_t>(bytes[i + 1]) << 8) | static_cast<uint8_t>(bytes[i + 2]);
    for (int shift : {18, 12, 6, 0}) out += kAlphabet[(n >> shift) & 63];
  }
  if (i + 1 == bytes.size()) {
    uint32_t n = static_cast<uint8_t>(bytes[i]) << 16;
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += "==";
  } else if (i + 2 == bytes.size()) {
    uint32_t n = (static_cast<uint8_t>(bytes[i]) << 16) | (static_cast<uint8_t>(bytes[i + 1]) << 8);
    for (int shift : {18, 12, 6}) out += kAlphabet[(n >> shift) & 63];
    out += '=';
  }
  return out;
}

bool well_known(const google::protobuf::Descriptor* type) {
  return type->file()->package() == "google.protobuf";
}

// Protobuf's own printer, for the well-known types' special mappings.
json printed(const Message& message) {
  std::string text;
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  options.always_print_primitive_fields = true;
  if (!google::protobuf::util::MessageToJsonString(message, &text, options).ok()) {
    return json::object();
  }
  json parsed = json::parse(text, nullptr, false);
  return parsed.is_discarded() ? json::object() : parsed;
}

json message_value(const Message& message);

// Element `index` of a repeated field, or the singular field when index < 0.
json field_value(const Message& message, const Reflection& reflection, const FieldDescriptor& field,
                 int index) {
  bool repeated = index >= 0;
  switch (field.cpp_type()) {
    case FieldDescriptor::CPPTYPE_INT32:
      return repeated ? reflection.GetRepeatedInt32(message, &field, index)
                      : reflection.GetInt32(message, &field);
    case FieldDescriptor::CPPTYPE_UINT32:
      return repeated ? reflection.GetRepeatedUInt32(message, &field, index)
                      : reflection.GetUInt32(message, &field);
    case FieldDescriptor::CPPTYPE_INT64:
      return std::to_string(repeated ? reflection.GetRepeatedInt64(message, &field, index)
                                     : reflection.GetInt64(message, &field));
    case FieldDescriptor::CPPTYPE_UINT64:
      return std::to_string(repeated ? reflection.GetRepeatedUInt64(message, &field, index)
                                     : reflection.GetUInt64(message, &field));
    case FieldDescriptor::CPPTYPE_DOUBLE:
      return floating(repeated ? reflection.GetRepeatedDouble(message, &field, index)
                               : reflection.GetDouble(message, &field));
    case FieldDescriptor::CPPTYPE_FLOAT:
      return floating(repeated ? reflection.GetRepeatedFloat(message, &field, index)
                               : reflection.GetFloat(message, &field));
    case FieldDescriptor::CPPTYPE_BOOL:
      return repeated ? reflection.GetRepeatedBool(message, &field, index)
                      : reflection.GetBool(message, &field);
    case FieldDescriptor::CPPTYPE_ENUM: {
      if (field.enum_type()->full_name() == "google.protobuf.NullValue") return nullptr;
      int number = repeated ? reflection.GetRepeatedEnumValue(message, &field, index)
                            : reflection.GetEnumValue(message, &field);
      const auto* value = field.enum_type()->FindValueByNumber(number);
      if (value == nullptr) return number;
      return value->name();
    }
    case FieldDescriptor::CPPTYPE_STRING: {
      std::string scratch;
      const std::string& text =
          repeated ? reflection.GetRepeatedStringReference(message, &field, index, &scratch)
                   : reflection.GetStringReference(message, &field, &scratch);
      if (field.type() == FieldDescriptor::TYPE_BYTES) return base64(text);
      return text;
    }
    case FieldDescriptor::CPPTYPE_MESSAGE:
      return message_value(repeated ? reflection.GetRepeatedMessage(message, &field, index)
                                    : reflection.GetMessage(message, &field));
  }
  return nullptr;
}

// A map entry's key as a JSON object key: protobuf prints every key type as a string.
std::string map_key(const Message& entry, const FieldDescriptor& key_field) {
  json key = field_value(entry, *entry.GetReflection(), key_field, -1);
  if (key.is_string()) return key.get<std::string>();
  return key.dump();
}

json message_value(const Message& message) {
  const auto* type = message.GetDescriptor();
  if (well_known(type)) return printed(message);
  const Reflection& reflection = *message.GetReflection();
  json out = json::object();
  for (int i = 0; i < type->field_count(); ++i) {
    const FieldDescriptor& field = *type->field(i);
    if (field.is_map()) {
      json entries = json::object();
      const auto* key_field = field.message_type()->map_key();
      const auto* value_field = field.message_type()->map_value();
      for (int k = 0; k < reflection.FieldSize(message, &field); ++k) {
        const Message& entry = reflection.GetRepeatedMessage(message, &field, k);
        entries[map_key(entry, *key_field)] =
            field_value(entry, *entry.GetReflection(), *value_field, -1);
      }
      out[field.name()] = std::move(entries);
    } else if (field.is_repeated()) {
      json items = json::array();
      for (int k = 0; k < reflection.FieldSize(message, &field); ++k) {
        items.push_back(field_value(message, reflection, field, k));
      }
      out[field.name()] = std::move(items);
    } else if (field.has_presence() && !reflection.HasField(message, &field)) {
      continue;  // an unset message, oneof member or `optional` field is left out
    } else {
      out[field.name()] = field_value(message, reflection, field, -1);
    }
  }
  return out;
}

}  // namespace

json proto_to_json(const Message& message) { return message_value(message); }

}  // namespace mpli::gateway
