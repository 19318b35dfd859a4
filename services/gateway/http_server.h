// The gateway's HTTP edge on Pistache: one endpoint, a router, problem+json for errors
// (RFC 9457), and a clean stop. Routes are added by the handlers/ files.
#pragma once

#include <pistache/endpoint.h>
#include <pistache/http.h>
#include <pistache/router.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "libs/core/status.h"

namespace mpli::gateway {

struct HttpOptions {
  std::string address = "127.0.0.1";
  int port = 8080;
  int threads = 2;
  size_t max_request_bytes = 16 * 1024 * 1024;  // manifests are uploaded as request bodies
};

class HttpServer {
 public:
  explicit HttpServer(HttpOptions options);
  ~HttpServer() { stop(); }
  Pistache::Rest::Router& router() { return router_; }
  // Binds and serves on background threads; an error when the port cannot be bound.
  Status start();
  void stop();

 private:
  HttpOptions options_;
  Pistache::Rest::Router router_;
  std::shared_ptr<Pistache::Http::Endpoint> endpoint_;
};

void send_json(Pistache::Http::ResponseWriter& response, Pistache::Http::Code code,
               const nlohmann::json& body);
// RFC 9457 problem details; `extra` members (field, line, column, violations) are merged in.
void send_problem(Pistache::Http::ResponseWriter& response, Pistache::Http::Code code,
                  const std::string& title, const std::string& detail,
                  const nlohmann::json& extra = nullptr);

}  // namespace mpli::gateway
