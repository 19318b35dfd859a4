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

// One connection kept open from request to request (HTTP keep-alive), for a caller that asks
// the same server many times: a benchmark client measuring the server, not TCP handshakes.
// Owns its curl handle; not for use from two threads at once.
class Session {
 public:
  Session();
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  // `headers` like {"Accept: text/turtle", "Content-Type: application/json"}.
  Response request(const std::string& method, const std::string& url, const std::string& body = "",
                   const std::vector<std::string>& headers = {},
                   std::chrono::milliseconds timeout = std::chrono::seconds(30));

 private:
  void* curl_;  // CURL*, kept out of this header
};

// One request on a connection of its own.
Response request(const std::string& method, const std::string& url, const std::string& body = "",
                 const std::vector<std::string>& headers = {},
                 std::chrono::milliseconds timeout = std::chrono::seconds(30));

}  // namespace mpli::http
