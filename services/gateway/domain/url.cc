#include "services/gateway/domain/url.h"

namespace mpli::gateway {
namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::optional<std::string> decode(std::string_view text, bool plus_is_space) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '+' && plus_is_space) {
      out += ' ';
    } else if (c != '%') {
      out += c;
    } else {
      if (i + 2 >= text.size()) return std::nullopt;
      int hi = hex_value(text[i + 1]);
      int lo = hex_value(text[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      out += static_cast<char>(hi * 16 + lo);
      i += 2;
    }
  }
  return out;
}

}  // namespace

std::string percent_encode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    auto byte = static_cast<unsigned char>(c);
    bool unreserved = (byte >= 'A' && byte <= 'Z') || (byte >= 'a' && byte <= 'z') ||
                      (byte >= '0' && byte <= '9') || byte == '-' || byte == '.' || byte == '_' ||
                      byte == '~';
    if (unreserved) {
      out += c;
    } else {
      out += '%';
      out += kHex[byte >> 4];
      out += kHex[byte & 0x0F];
    }
  }
  return out;
}

std::optional<std::string> percent_decode(std::string_view text) { return decode(text, false); }

Result<std::vector<std::pair<std::string, std::string>>> parse_query_string(std::string_view raw) {
  std::vector<std::pair<std::string, std::string>> pairs;
  size_t start = 0;
  while (start <= raw.size()) {
    size_t end = raw.find('&', start);
    if (end == std::string_view::npos) end = raw.size();
    std::string_view pair = raw.substr(start, end - start);
    start = end + 1;
    if (pair.empty()) continue;
    size_t equals = pair.find('=');
    std::string_view raw_key = pair.substr(0, equals);
    std::string_view raw_value =
        equals == std::string_view::npos ? std::string_view() : pair.substr(equals + 1);
    auto key = decode(raw_key, true);
    if (!key) {
      return invalid_field(std::string(raw_key), "bad percent-encoding in the parameter name");
    }
    auto value = decode(raw_value, true);
    if (!value) return invalid_field(*key, "bad percent-encoding");
    pairs.emplace_back(std::move(*key), std::move(*value));
  }
  return pairs;
}

Result<std::map<std::string, std::string>> query_parameters(std::string_view raw) {
  MPLI_ASSIGN_OR_RETURN(auto pairs, parse_query_string(raw));
  std::map<std::string, std::string> parameters;
  for (auto& [key, value] : pairs) {
    if (!parameters.emplace(key, std::move(value)).second) {
      return invalid_field(key, "given more than once");
    }
  }
  return parameters;
}

}  // namespace mpli::gateway
