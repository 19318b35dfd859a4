#include "services/gateway/domain/proto_json.h"

#include <google/protobuf/descriptor.h>
#include <google/protobuf/util/json_util.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <map>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

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

// ---- Straight to text --------------------------------------------------------------------

// A JSON string as nlohmann's dump writes it (no ASCII escaping, invalid UTF-8 replaced). ASCII
// text (IRIs, names, messages, quoted literals) is escaped here with nlohmann's escapes; text
// with other bytes is left to nlohmann, which checks and replaces bad UTF-8.
void write_string(std::string_view text, std::string* out) {
  for (char c : text) {
    if (static_cast<unsigned char>(c) >= 0x80) {
      *out += json(std::string(text)).dump(-1, ' ', false, json::error_handler_t::replace);
      return;
    }
  }
  static constexpr char kHex[] = "0123456789abcdef";
  out->push_back('"');
  size_t plain_from = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    const auto byte = static_cast<unsigned char>(text[i]);
    if (byte >= 0x20 && byte != '"' && byte != '\\') continue;
    out->append(text.substr(plain_from, i - plain_from));
    plain_from = i + 1;
    out->push_back('\\');
    switch (byte) {
      case '"':
        out->push_back('"');
        break;
      case '\\':
        out->push_back('\\');
        break;
      case '\b':
        out->push_back('b');
        break;
      case '\f':
        out->push_back('f');
        break;
      case '\n':
        out->push_back('n');
        break;
      case '\r':
        out->push_back('r');
        break;
      case '\t':
        out->push_back('t');
        break;
      default:
        out->append("u00");
        out->push_back(kHex[byte >> 4]);
        out->push_back(kHex[byte & 0xf]);
    }
  }
  out->append(text.substr(plain_from));
  out->push_back('"');
}

void write_json(const json& value, std::string* out) {
  *out += value.dump(-1, ' ', false, json::error_handler_t::replace);
}

void write_message(const Message& message, std::string* out,
                   const std::map<std::string, std::string>* overrides);

void write_field_value(const Message& message, const Reflection& reflection,
                       const FieldDescriptor& field, int index, std::string* out) {
  bool repeated = index >= 0;
  switch (field.cpp_type()) {
    case FieldDescriptor::CPPTYPE_INT32:
      *out += std::to_string(repeated ? reflection.GetRepeatedInt32(message, &field, index)
                                      : reflection.GetInt32(message, &field));
      return;
    case FieldDescriptor::CPPTYPE_UINT32:
      *out += std::to_string(repeated ? reflection.GetRepeatedUInt32(message, &field, index)
                                      : reflection.GetUInt32(message, &field));
      return;
    case FieldDescriptor::CPPTYPE_BOOL:
      *out += (repeated ? reflection.GetRepeatedBool(message, &field, index)
                        : reflection.GetBool(message, &field))
                  ? "true"
                  : "false";
      return;
    case FieldDescriptor::CPPTYPE_STRING: {
      if (field.type() == FieldDescriptor::TYPE_BYTES) break;
      std::string scratch;
      const std::string& text =
          repeated ? reflection.GetRepeatedStringReference(message, &field, index, &scratch)
                   : reflection.GetStringReference(message, &field, &scratch);
      write_string(text, out);
      return;
    }
    case FieldDescriptor::CPPTYPE_MESSAGE: {
      const Message& inner = repeated ? reflection.GetRepeatedMessage(message, &field, index)
                                      : reflection.GetMessage(message, &field);
      if (well_known(inner.GetDescriptor())) break;
      write_message(inner, out, nullptr);
      return;
    }
    default:
      break;
  }
  // Numbers with a fraction, 64-bit integers, enums, bytes and well-known types: few in any
  // reply, and written exactly as the tree writer's values are.
  write_json(field_value(message, reflection, field, index), out);
}

// A message's fields by name, as nlohmann's objects (std::map) order their members.
const std::vector<const FieldDescriptor*>& fields_by_name(
    const google::protobuf::Descriptor* type) {
  thread_local std::unordered_map<const google::protobuf::Descriptor*,
                                  std::vector<const FieldDescriptor*>>
      sorted;
  auto [at, fresh] = sorted.try_emplace(type);
  if (fresh) {
    for (int i = 0; i < type->field_count(); ++i) at->second.push_back(type->field(i));
    std::sort(
        at->second.begin(), at->second.end(),
        [](const FieldDescriptor* a, const FieldDescriptor* b) { return a->name() < b->name(); });
  }
  return at->second;
}

void write_map(const Message& message, const Reflection& reflection, const FieldDescriptor& field,
               std::string* out) {
  const auto* key_field = field.message_type()->map_key();
  const auto* value_field = field.message_type()->map_value();
  // By key, and the last of equal keys kept, as assigning into a std::map does.
  std::map<std::string, int> entries;
  for (int k = 0; k < reflection.FieldSize(message, &field); ++k) {
    const Message& entry = reflection.GetRepeatedMessage(message, &field, k);
    entries[map_key(entry, *key_field)] = k;
  }
  out->push_back('{');
  bool first = true;
  for (const auto& [key, k] : entries) {
    if (!first) out->push_back(',');
    first = false;
    write_string(key, out);
    out->push_back(':');
    const Message& entry = reflection.GetRepeatedMessage(message, &field, k);
    write_field_value(entry, *entry.GetReflection(), *value_field, -1, out);
  }
  out->push_back('}');
}

void write_message(const Message& message, std::string* out,
                   const std::map<std::string, std::string>* overrides) {
  const auto* type = message.GetDescriptor();
  if (well_known(type)) return write_json(printed(message), out);
  const Reflection& reflection = *message.GetReflection();
  out->push_back('{');
  bool first = true;
  auto name = [&](const std::string& key) {
    if (!first) out->push_back(',');
    first = false;
    write_string(key, out);
    out->push_back(':');
  };
  // Overrides merge into the name order: those before each field, then the rest.
  static const std::map<std::string, std::string> kNoOverrides;
  const auto& extra = overrides != nullptr ? *overrides : kNoOverrides;
  auto pending = extra.begin();
  const auto overrides_end = extra.end();
  auto overrides_before = [&](const std::string& key) {
    for (; pending != overrides_end && pending->first < key; ++pending) {
      name(pending->first);
      out->append(pending->second);
    }
  };
  for (const FieldDescriptor* f : fields_by_name(type)) {
    const FieldDescriptor& field = *f;
    overrides_before(field.name());
    if (pending != overrides_end && pending->first == field.name()) {
      name(pending->first);
      out->append(pending->second);
      ++pending;
      continue;
    }
    if (field.is_map()) {
      name(field.name());
      write_map(message, reflection, field, out);
    } else if (field.is_repeated()) {
      name(field.name());
      out->push_back('[');
      for (int k = 0; k < reflection.FieldSize(message, &field); ++k) {
        if (k > 0) out->push_back(',');
        write_field_value(message, reflection, field, k, out);
      }
      out->push_back(']');
    } else if (field.has_presence() && !reflection.HasField(message, &field)) {
      continue;  // an unset message, oneof member or `optional` field is left out
    } else {
      name(field.name());
      write_field_value(message, reflection, field, -1, out);
    }
  }
  for (; pending != overrides_end; ++pending) {
    name(pending->first);
    out->append(pending->second);
  }
  out->push_back('}');
}

}  // namespace

json proto_to_json(const Message& message) { return message_value(message); }

std::string proto_to_json_text(const Message& message,
                               const std::map<std::string, std::string>& overrides) {
  std::string out;
  out.reserve(static_cast<size_t>(message.ByteSizeLong()) * 2 + 64);
  write_message(message, &out, &overrides);
  return out;
}

}  // namespace mpli::gateway
