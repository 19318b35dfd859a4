// A small blocking HTTP client (libcurl) for talking to our own endpoints: the CLI asking its
// gateway, tests asking theirs. Not for fetching from the outside world (see libs/fetch).
#pragma once

#include <chrono>
#include <string>
#include <vector>

namespace mpli::http {

struct Response {
  long status = 0;  // 0: no answer (connection refused, timeout)
  std::string body;
  std::string content_type;
};

// `headers` like {"Accept: text/turtle", "Content-Type: application/json"}.
Response request(const std::string& method, const std::string& url, const std::string& body = "",
                 const std::vector<std::string>& headers = {},
                 std::chrono::milliseconds timeout = std::chrono::seconds(30));

}  // namespace mpli::http
