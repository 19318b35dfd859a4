#include "services/gateway/handlers/console_routes.h"

#include "libs/core/status.h"
#include "services/gateway/domain/problem.h"

namespace mpli::gateway {
namespace {

// Scripts, styles, images and requests from the gateway itself only: no inline script or
// style, no other origin, no framing. The console needs nothing more (EventSource and fetch
// are connect-src 'self').
constexpr const char* kContentSecurityPolicy =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; manifest-src 'self'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'";

// The files' URLs carry no version, so a browser revalidates every time; the ETag makes that
// a 304 without a body while the gateway binary (and so the console) is unchanged.
constexpr const char* kCacheControl = "no-cache";

HeaderList common_headers(const ConsoleFile& file) {
  return {{"ETag", std::string(file.etag)},
          {"Cache-Control", kCacheControl},
          {"Content-Security-Policy", kContentSecurityPolicy},
          {"X-Content-Type-Options", "nosniff"},
          {"Referrer-Policy", "no-referrer"},
          {"X-Frame-Options", "DENY"}};
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

// If-None-Match uses the weak comparison (RFC 9110 §13.1.2): "W/" is ignored; "*" matches.
bool matches(std::string_view if_none_match, std::string_view etag) {
  while (!if_none_match.empty()) {
    auto comma = if_none_match.find(',');
    std::string_view tag = trim(if_none_match.substr(0, comma));
    if (tag == "*") return true;
    if (tag.substr(0, 2) == "W/") tag.remove_prefix(2);
    if (tag == etag) return true;
    if (comma == std::string_view::npos) break;
    if_none_match.remove_prefix(comma + 1);
  }
  return false;
}

}  // namespace

HttpResponse console_response(std::string_view name, std::string_view if_none_match) {
  for (const ConsoleFile& file : console_files()) {
    if (file.name != name) continue;
    HttpResponse response;
    response.headers = common_headers(file);
    if (matches(if_none_match, file.etag)) {
      response.status = 304;
      return response;
    }
    response.status = 200;
    response.headers.emplace_back("Content-Type", std::string(file.content_type));
    response.body = std::string(file.body);
    return response;
  }
  Problem problem = problem_for(not_found("the console has no file '" + std::string(name) + "'"));
  return {problem.http_status,
          {{"Content-Type", "application/problem+json"}},
          problem.body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)};
}

void add_console_routes(HttpServer& server) {
  server.route("GET", "/", {}, nullptr, [](const RouteRequest& request, Responder responder) {
    responder.send(console_response("index.html", request.http.header("if-none-match")));
  });
  server.route(
      "GET", "/console/:file", {}, nullptr, [](const RouteRequest& request, Responder responder) {
        responder.send(
            console_response(request.parameters.at("file"), request.http.header("if-none-match")));
      });
}

}  // namespace mpli::gateway
