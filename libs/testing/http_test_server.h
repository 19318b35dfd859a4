// A small real HTTP/1.1 server on 127.0.0.1 for tests that need a provider's web server whose
// answers they control: content, ETag/304, slowness, size, redirects. One connection at a time.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>

namespace mpli::testing {

struct HttpTestRequest {
  std::string method;
  std::string path;
  std::map<std::string, std::string> headers;  // names lower-cased
};

struct HttpTestResponse {
  int status = 200;
  std::map<std::string, std::string> headers;
  std::string body;
  std::chrono::milliseconds delay{0};  // wait this long before answering (a slow provider)
  size_t repeat_body = 1;              // send the body this many times (a huge manifest)
};

class HttpTestServer {
 public:
  using Handler = std::function<HttpTestResponse(const HttpTestRequest&)>;
  explicit HttpTestServer(Handler handler);
  ~HttpTestServer();
  HttpTestServer(const HttpTestServer&) = delete;
  HttpTestServer& operator=(const HttpTestServer&) = delete;

  int port() const { return port_; }
  std::string url(const std::string& path) const;
  int requests() const { return requests_.load(); }

 private:
  void serve();
  void handle(int client);

  Handler handler_;
  int listener_ = -1;
  int port_ = 0;
  std::atomic<bool> stopping_{false};
  std::atomic<int> requests_{0};
  std::thread thread_;
};

// Serves `body` at any path with a strong ETag (its sha256) and honours If-None-Match.
HttpTestResponse static_document(const HttpTestRequest& request, const std::string& body,
                                 const std::string& content_type = "text/turtle");

}  // namespace mpli::testing
