#include "services/gateway/http/media_type.h"

#include <cctype>
#include <cstdlib>

namespace mpli::gateway {
namespace {

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool is_token(std::string_view text) {
  if (text.empty()) return false;
  for (char c : text) {
    bool ok = std::isalnum(static_cast<unsigned char>(c)) ||
              std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
    if (!ok) return false;
  }
  return true;
}

struct MediaRange {
  std::string type;     // "text" or "*"
  std::string subtype;  // "turtle" or "*"
  double weight = 1.0;
};

// q = 0 / 1 / 0.xxx (RFC 9110 §12.4.2); nullopt otherwise.
std::optional<double> parse_weight(std::string_view text) {
  if (text.empty() || text.size() > 5) return std::nullopt;
  if (text[0] != '0' && text[0] != '1') return std::nullopt;
  if (text.size() > 1) {
    if (text[1] != '.') return std::nullopt;
    for (char c : text.substr(2)) {
      if (c < '0' || c > '9') return std::nullopt;
      if (text[0] == '1' && c != '0') return std::nullopt;
    }
  }
  return std::strtod(std::string(text).c_str(), nullptr);
}

std::optional<MediaRange> parse_range(std::string_view element) {
  size_t semicolon = element.find(';');
  std::string range = lower(trim(element.substr(0, semicolon)));
  if (range == "*") range = "*/*";  // what some old clients send
  size_t slash = range.find('/');
  if (slash == std::string::npos) return std::nullopt;
  MediaRange parsed{range.substr(0, slash), range.substr(slash + 1), 1.0};
  if (!is_token(parsed.type) || !is_token(parsed.subtype)) return std::nullopt;
  if (parsed.type == "*" && parsed.subtype != "*") return std::nullopt;
  while (semicolon != std::string_view::npos) {
    element = element.substr(semicolon + 1);
    semicolon = element.find(';');
    std::string_view parameter = trim(element.substr(0, semicolon));
    size_t equals = parameter.find('=');
    if (equals == std::string_view::npos) continue;
    if (lower(trim(parameter.substr(0, equals))) != "q") continue;
    auto weight = parse_weight(trim(parameter.substr(equals + 1)));
    if (!weight) return std::nullopt;
    parsed.weight = *weight;
  }
  return parsed;
}

// How specifically `range` names `type/subtype`: 3 exactly, 2 by type, 1 by */*, 0 not at all.
int specificity(const MediaRange& range, std::string_view type, std::string_view subtype) {
  if (range.type == "*") return 1;
  if (range.type != type) return 0;
  if (range.subtype == "*") return 2;
  return range.subtype == subtype ? 3 : 0;
}

}  // namespace

std::string media_type_of(std::string_view content_type) {
  std::string type = lower(trim(content_type.substr(0, content_type.find(';'))));
  size_t slash = type.find('/');
  if (slash == std::string::npos || !is_token(type.substr(0, slash)) ||
      !is_token(type.substr(slash + 1))) {
    return std::string();
  }
  return type;
}

std::optional<std::string> negotiate(std::string_view accept,
                                     const std::vector<std::string>& offered) {
  if (offered.empty()) return std::nullopt;
  if (trim(accept).empty()) return offered.front();
  std::vector<MediaRange> ranges;
  size_t start = 0;
  while (start <= accept.size()) {
    size_t comma = accept.find(',', start);
    if (comma == std::string_view::npos) comma = accept.size();
    std::string_view element = trim(accept.substr(start, comma - start));
    start = comma + 1;
    if (element.empty()) continue;
    // A range we cannot read is ignored rather than failing the whole request.
    if (auto range = parse_range(element)) ranges.push_back(*range);
  }
  std::optional<std::string> best;
  double best_weight = 0.0;
  for (const auto& candidate : offered) {
    size_t slash = candidate.find('/');
    std::string_view type = std::string_view(candidate).substr(0, slash);
    std::string_view subtype = std::string_view(candidate).substr(slash + 1);
    int best_specificity = 0;
    double weight = 0.0;
    for (const auto& range : ranges) {
      int s = specificity(range, type, subtype);
      if (s > best_specificity) {
        best_specificity = s;
        weight = range.weight;
      }
    }
    if (weight > best_weight) {
      best_weight = weight;
      best = candidate;
    }
  }
  return best;
}

}  // namespace mpli::gateway
