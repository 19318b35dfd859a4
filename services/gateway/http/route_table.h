// Which route a method and path select, with the path's parameters percent-decoded, and which
// methods a path allows (for 405 and OPTIONS). HEAD is served by the GET route of a path.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace mpli::gateway {

class RouteTable {
 public:
  // `pattern` like "/v1/providers/:id": literal segments and ":name" parameters, each matching
  // exactly one path segment. Returns the route's index, counted from 0 in order of adding.
  size_t add(std::string method, std::string_view pattern);

  struct Match {
    enum class Outcome {
      kFound,             // `route` and `parameters` are set
      kMethodNotAllowed,  // the path exists for `allowed` methods only (405)
      kNotFound,          // no route has this path (404)
      kBadPath,           // a path segment has a malformed %-escape (400)
    };
    Outcome outcome = Outcome::kNotFound;
    size_t route = 0;
    std::map<std::string, std::string> parameters;  // decoded
    std::vector<std::string> allowed;  // kMethodNotAllowed: the methods this path supports
  };

  // `raw_path` is the request target's path, still percent-encoded: segments are split on its
  // '/' first, so an encoded "%2F" stays inside its segment. Empty segments are ignored.
  Match match(std::string_view method, std::string_view raw_path) const;

  // Every method that some route serves at `raw_path`, plus HEAD with GET and OPTIONS with any,
  // in a fixed order; empty when no route has the path.
  std::vector<std::string> allowed_methods(std::string_view raw_path) const;
  // Every method of every route, for "OPTIONS *".
  std::vector<std::string> all_methods() const;

  // Every route as added: (method, pattern), the pattern spelt as in add() minus empty segments
  // ("/v1/providers/:id"; "/" for the root). What the gateway really serves, for the test that
  // holds the OpenAPI document against it (HEAD and OPTIONS are implied, not listed).
  std::vector<std::pair<std::string, std::string>> routes() const;

 private:
  struct Route {
    std::string method;
    std::vector<std::string> segments;  // ":name" for a parameter
  };
  static bool matches(const Route& route, const std::vector<std::string>& segments,
                      std::map<std::string, std::string>* parameters);
  std::vector<std::string> with_implied_methods(std::vector<std::string> methods) const;
  std::vector<Route> routes_;
};

}  // namespace mpli::gateway
