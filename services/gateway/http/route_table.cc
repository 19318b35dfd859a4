#include "services/gateway/http/route_table.h"

#include <algorithm>
#include <optional>

#include "services/gateway/domain/url.h"

namespace mpli::gateway {
namespace {

std::vector<std::string_view> split_path(std::string_view path) {
  std::vector<std::string_view> segments;
  size_t start = 0;
  while (start <= path.size()) {
    size_t slash = path.find('/', start);
    if (slash == std::string_view::npos) slash = path.size();
    if (slash > start) segments.push_back(path.substr(start, slash - start));
    start = slash + 1;
  }
  return segments;
}

std::optional<std::vector<std::string>> decoded_segments(std::string_view raw_path) {
  std::vector<std::string> segments;
  for (std::string_view raw : split_path(raw_path)) {
    auto decoded = percent_decode(raw);
    if (!decoded) return std::nullopt;
    segments.push_back(std::move(*decoded));
  }
  return segments;
}

// The order methods are listed in Allow headers.
constexpr std::string_view kMethodOrder[] = {"GET",   "HEAD",   "POST",   "PUT",
                                             "PATCH", "DELETE", "OPTIONS"};

size_t method_rank(const std::string& method) {
  auto it = std::find(std::begin(kMethodOrder), std::end(kMethodOrder), method);
  return static_cast<size_t>(it - std::begin(kMethodOrder));
}

}  // namespace

size_t RouteTable::add(std::string method, std::string_view pattern) {
  Route route;
  route.method = std::move(method);
  for (std::string_view segment : split_path(pattern)) route.segments.emplace_back(segment);
  routes_.push_back(std::move(route));
  return routes_.size() - 1;
}

bool RouteTable::matches(const Route& route, const std::vector<std::string>& segments,
                         std::map<std::string, std::string>* parameters) {
  if (route.segments.size() != segments.size()) return false;
  std::map<std::string, std::string> found;
  for (size_t i = 0; i < segments.size(); ++i) {
    const std::string& expected = route.segments[i];
    if (!expected.empty() && expected[0] == ':') {
      found[expected.substr(1)] = segments[i];
    } else if (expected != segments[i]) {
      return false;
    }
  }
  if (parameters != nullptr) *parameters = std::move(found);
  return true;
}

RouteTable::Match RouteTable::match(std::string_view method, std::string_view raw_path) const {
  Match result;
  auto segments = decoded_segments(raw_path);
  if (!segments) {
    result.outcome = Match::Outcome::kBadPath;
    return result;
  }
  // HEAD is GET without the body, unless a route says otherwise.
  for (std::string_view wanted : {method, method == "HEAD" ? std::string_view("GET") : method}) {
    for (size_t i = 0; i < routes_.size(); ++i) {
      if (routes_[i].method == wanted && matches(routes_[i], *segments, &result.parameters)) {
        result.outcome = Match::Outcome::kFound;
        result.route = i;
        return result;
      }
    }
  }
  result.allowed = allowed_methods(raw_path);
  result.outcome =
      result.allowed.empty() ? Match::Outcome::kNotFound : Match::Outcome::kMethodNotAllowed;
  return result;
}

std::vector<std::string> RouteTable::with_implied_methods(std::vector<std::string> methods) const {
  if (methods.empty()) return methods;
  if (std::find(methods.begin(), methods.end(), "GET") != methods.end()) methods.push_back("HEAD");
  methods.push_back("OPTIONS");
  std::sort(methods.begin(), methods.end(), [](const std::string& a, const std::string& b) {
    return method_rank(a) != method_rank(b) ? method_rank(a) < method_rank(b) : a < b;
  });
  methods.erase(std::unique(methods.begin(), methods.end()), methods.end());
  return methods;
}

std::vector<std::string> RouteTable::allowed_methods(std::string_view raw_path) const {
  auto segments = decoded_segments(raw_path);
  if (!segments) return {};
  std::vector<std::string> methods;
  for (const auto& route : routes_) {
    if (matches(route, *segments, nullptr)) methods.push_back(route.method);
  }
  return with_implied_methods(std::move(methods));
}

std::vector<std::string> RouteTable::all_methods() const {
  std::vector<std::string> methods;
  for (const auto& route : routes_) methods.push_back(route.method);
  return with_implied_methods(std::move(methods));
}

std::vector<std::pair<std::string, std::string>> RouteTable::routes() const {
  std::vector<std::pair<std::string, std::string>> out;
  out.reserve(routes_.size());
  for (const auto& route : routes_) {
    std::string pattern;
    for (const auto& segment : route.segments) pattern += "/" + segment;
    out.emplace_back(route.method, pattern.empty() ? "/" : pattern);
  }
  return out;
}

}  // namespace mpli::gateway
