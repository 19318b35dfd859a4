#include "libs/credentials/jcs.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "libs/credentials/refusal.h"

namespace mpli::credentials {
namespace {

// UTF-8 to UTF-16 code units: RFC 8785 sorts member names by them, which differs from byte
// order once a name has characters above U+FFFF.
std::u16string utf16(const std::string& text) {
  std::u16string out;
  for (size_t i = 0; i < text.size();) {
    auto byte = static_cast<unsigned char>(text[i]);
    uint32_t code = byte;
    size_t length = 1;
    if (byte >= 0xF0) {
      code = byte & 0x07;
      length = 4;
    } else if (byte >= 0xE0) {
      code = byte & 0x0F;
      length = 3;
    } else if (byte >= 0xC0) {
      code = byte & 0x1F;
      length = 2;
    }
    for (size_t k = 1; k < length && i + k < text.size(); ++k) {
      code = (code << 6) | (static_cast<unsigned char>(text[i + k]) & 0x3F);
    }
    i += length;
    if (code >= 0x10000) {
      code -= 0x10000;
      out.push_back(static_cast<char16_t>(0xD800 + (code >> 10)));
      out.push_back(static_cast<char16_t>(0xDC00 + (code & 0x3FF)));
    } else {
      out.push_back(static_cast<char16_t>(code));
    }
  }
  return out;
}

void append_string(const std::string& text, std::string& out) {
  out.push_back('"');
  for (char c : text) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char escape[8];
          std::snprintf(escape, sizeof(escape), "\\u%04x", static_cast<unsigned char>(c));
          out += escape;
        } else {
          out.push_back(c);
        }
    }
  }
  out.push_back('"');
}

// ECMAScript Number.prototype.toString: the shortest digits that read back as the same double,
// in plain notation for exponents in [-7, 21), otherwise d.ddde±x.
Result<std::string> es6_number(double value) {
  if (!std::isfinite(value)) return refusal(Refusal::kMalformed, "JCS: number is not finite");
  if (value == 0) return std::string("0");
  char buffer[40];
  int precision = 1;
  for (; precision <= 17; ++precision) {
    std::snprintf(buffer, sizeof(buffer), "%.*e", precision - 1, value);
    if (std::strtod(buffer, nullptr) == value) break;
  }
  std::string scientific(buffer);
  bool negative = scientific[0] == '-';
  if (negative) scientific.erase(0, 1);
  size_t e = scientific.find('e');
  // snprintf's "%e" always writes a decimal exponent after the 'e'.
  int exponent = static_cast<int>(std::strtol(scientific.c_str() + e + 1, nullptr, 10));
  std::string digits;
  for (size_t i = 0; i < e; ++i) {
    if (scientific[i] != '.') digits.push_back(scientific[i]);
  }
  while (digits.size() > 1 && digits.back() == '0') digits.pop_back();
  int n = exponent + 1;  // position of the decimal point relative to the digits
  int k = static_cast<int>(digits.size());
  std::string out = negative ? "-" : "";
  if (k <= n && n <= 21) {
    out += digits + std::string(static_cast<size_t>(n - k), '0');
  } else if (0 < n && n <= 21) {
    out += digits.substr(0, static_cast<size_t>(n)) + "." + digits.substr(static_cast<size_t>(n));
  } else if (-6 < n && n <= 0) {
    out += "0." + std::string(static_cast<size_t>(-n), '0') + digits;
  } else {
    out += digits.substr(0, 1);
    if (k > 1) out += "." + digits.substr(1);
    out += (n - 1 >= 0 ? "e+" : "e-") + std::to_string(std::abs(n - 1));
  }
  return out;
}

Status append(const nlohmann::json& value, std::string& out) {
  switch (value.type()) {
    case nlohmann::json::value_t::object: {
      std::vector<std::pair<std::u16string, const std::string*>> names;
      for (const auto& [name, member] : value.items()) {
        (void)member;
        names.emplace_back(utf16(name), &name);
      }
      // items() hands out keys that live in the object, so the pointers stay valid.
      std::sort(names.begin(), names.end());
      out.push_back('{');
      bool first = true;
      for (const auto& [sort_key, name] : names) {
        (void)sort_key;
        if (!first) out.push_back(',');
        first = false;
        append_string(*name, out);
        out.push_back(':');
        MPLI_RETURN_IF_ERROR(append(value.at(*name), out));
      }
      out.push_back('}');
      return Status::ok();
    }
    case nlohmann::json::value_t::array: {
      out.push_back('[');
      bool first = true;
      for (const auto& element : value) {
        if (!first) out.push_back(',');
        first = false;
        MPLI_RETURN_IF_ERROR(append(element, out));
      }
      out.push_back(']');
      return Status::ok();
    }
    case nlohmann::json::value_t::string:
      append_string(value.get_ref<const std::string&>(), out);
      return Status::ok();
    case nlohmann::json::value_t::boolean:
      out += value.get<bool>() ? "true" : "false";
      return Status::ok();
    case nlohmann::json::value_t::null:
      out += "null";
      return Status::ok();
    case nlohmann::json::value_t::number_integer:
    case nlohmann::json::value_t::number_unsigned:
    case nlohmann::json::value_t::number_float: {
      // JSON numbers are IEEE doubles to JCS: a large integer prints as the double it reads as.
      MPLI_ASSIGN_OR_RETURN(auto text, es6_number(value.get<double>()));
      out += text;
      return Status::ok();
    }
    default:
      return refusal(Refusal::kMalformed, "JCS: value has no JSON form");
  }
}

}  // namespace

Result<std::string> canonicalize_json(const nlohmann::json& value) {
  std::string out;
  MPLI_RETURN_IF_ERROR(append(value, out));
  return out;
}

}  // namespace mpli::credentials
