#include "services/trust/domain/url_rewrites.h"

namespace mpli::trust {

Result<UrlRewrites> parse_url_rewrites(std::string_view setting) {
  UrlRewrites rewrites;
  size_t at = 0;
  while (at < setting.size()) {
    size_t end = setting.find_first_of(" ,", at);
    if (end == std::string_view::npos) end = setting.size();
    std::string_view pair = setting.substr(at, end - at);
    at = end + 1;
    if (pair.empty()) continue;
    // The replacement's own scheme has "://", so split at the '=' before the second scheme.
    size_t equals = pair.find("=http");
    if (equals == std::string_view::npos || equals == 0) {
      return Status(
          StatusCode::kInvalidArgument,
          "fetch.rewrite: '" + std::string(pair) +
              "' is not PREFIX=REPLACEMENT (e.g. https://a.example/=http://127.0.0.1:8081/)",
          {{"field", "fetch.rewrite"}});
    }
    rewrites.emplace_back(std::string(pair.substr(0, equals)),
                          std::string(pair.substr(equals + 1)));
  }
  return rewrites;
}

std::string rewrite_url(const UrlRewrites& rewrites, const std::string& url) {
  for (const auto& [prefix, replacement] : rewrites) {
    if (url.rfind(prefix, 0) == 0) return replacement + url.substr(prefix.size());
  }
  return url;
}

}  // namespace mpli::trust
