#include "services/gateway/openapi/openapi_document.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <nlohmann/json.hpp>

namespace mpli::gateway {
namespace {

// The keys of a Path Item that are operations (OpenAPI 3.1 §4.8.9); the others (summary,
// parameters, servers, ...) are not.
constexpr std::array<std::string_view, 8> kOperations = {"get",     "put",  "post",  "delete",
                                                         "options", "head", "patch", "trace"};

Status invalid(const std::string& why) {
  return Status(StatusCode::kInvalidArgument, "OpenAPI document: " + why);
}

// "/v1/providers/{id}" -> "/v1/providers/:id"; an error for "{x}" inside a segment.
Result<std::string> route_pattern(const std::string& path) {
  if (path.empty() || path[0] != '/') return invalid("path '" + path + "' does not start with /");
  std::string pattern;
  size_t start = 1;
  while (start <= path.size()) {
    size_t slash = path.find('/', start);
    if (slash == std::string::npos) slash = path.size();
    std::string segment = path.substr(start, slash - start);
    start = slash + 1;
    if (segment.empty()) continue;
    if (segment.front() == '{' && segment.back() == '}' && segment.size() > 2 &&
        segment.find_first_of("{}", 1) == segment.size() - 1) {
      pattern += "/:" + segment.substr(1, segment.size() - 2);
    } else if (segment.find_first_of("{}") != std::string::npos) {
      return invalid("path '" + path + "': a parameter must be a whole segment");
    } else {
      pattern += "/" + segment;
    }
  }
  return pattern.empty() ? std::string("/") : pattern;
}

}  // namespace

Result<std::vector<std::pair<std::string, std::string>>> documented_routes(
    std::string_view document) {
  nlohmann::json parsed = nlohmann::json::parse(document, nullptr, false);
  if (parsed.is_discarded() || !parsed.is_object()) return invalid("not a JSON object");
  if (!parsed.contains("paths") || !parsed["paths"].is_object()) {
    return invalid("no `paths` object");
  }
  std::vector<std::pair<std::string, std::string>> routes;
  for (const auto& [path, item] : parsed["paths"].items()) {
    if (!item.is_object()) return invalid("path '" + path + "' is not an object");
    MPLI_ASSIGN_OR_RETURN(std::string pattern, route_pattern(path));
    for (const auto& [key, operation] : item.items()) {
      if (std::find(kOperations.begin(), kOperations.end(), key) == kOperations.end()) continue;
      std::string method = key;
      for (char& c : method) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      routes.emplace_back(method, pattern);
    }
  }
  std::sort(routes.begin(), routes.end());
  return routes;
}

}  // namespace mpli::gateway
