// HTTP for tests that read response headers too (Retry-After, Content-Type): status, body and
// every header of the final response. libs/http's client stays small for the CLI.
#pragma once

#include <chrono>
#include <map>
#include <string>
#include <vector>

namespace mpli::testing {

struct HttpExchange {
  long status = 0;  // 0: no answer (connection refused, timeout)
  std::string body;
  std::map<std::string, std::string> headers;  // names lower-cased
  // The header's value, or "" (the name in any case).
  std::string header(const std::string& name) const;
};

HttpExchange http_exchange(const std::string& method, const std::string& url,
                           const std::string& body = "",
                           const std::vector<std::string>& request_headers = {},
                           std::chrono::milliseconds timeout = std::chrono::seconds(30));

}  // namespace mpli::testing
