#include "services/gateway/handlers/console_routes.h"

#include <catch2/catch.hpp>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

using namespace mpli::gateway;

namespace {

std::string header(const HttpResponse& response, const std::string& name) {
  for (const auto& [key, value] : response.headers) {
    if (key == name) return value;
  }
  return "";
}

}  // namespace

TEST_CASE("the console's three files are embedded, each with its media type") {
  std::map<std::string, std::string> types;
  for (const ConsoleFile& file : console_files()) {
    types[std::string(file.name)] = std::string(file.content_type);
    CHECK_FALSE(file.body.empty());
  }
  CHECK(types["index.html"] == "text/html; charset=utf-8");
  CHECK(types["app.js"] == "text/javascript; charset=utf-8");
  CHECK(types["style.css"] == "text/css; charset=utf-8");
}

TEST_CASE("a console file is answered with a strong ETag, Cache-Control and a strict CSP") {
  HttpResponse page = console_response("index.html", "");
  CHECK(page.status == 200);
  CHECK(header(page, "Content-Type") == "text/html; charset=utf-8");
  CHECK(page.body.find("<!doctype html>") == 0);
  std::string etag = header(page, "ETag");
  REQUIRE(etag.size() == 34);  // a quoted 128-bit hex digest
  CHECK(etag.front() == '"');
  CHECK(etag.substr(0, 2) != "W/");
  CHECK(header(page, "Cache-Control") == "no-cache");
  std::string csp = header(page, "Content-Security-Policy");
  CHECK(csp.find("default-src 'none'") != std::string::npos);
  CHECK(csp.find("script-src 'self';") != std::string::npos);
  CHECK(csp.find("unsafe-inline") == std::string::npos);
  CHECK(csp.find("frame-ancestors 'none'") != std::string::npos);
  CHECK(header(page, "X-Content-Type-Options") == "nosniff");
  // The page loads its script and style from /console/, never inline.
  CHECK(page.body.find("<script src=\"/console/app.js\"") != std::string::npos);
  CHECK(page.body.find("<script>") == std::string::npos);
  CHECK(page.body.find("style=") == std::string::npos);
  CHECK(page.body.find("onclick=") == std::string::npos);

  HttpResponse script = console_response("app.js", "");
  CHECK(script.status == 200);
  CHECK(header(script, "ETag") != etag);
}

TEST_CASE("If-None-Match with the file's ETag is 304 without a body, and another tag is 200") {
  std::string etag = header(console_response("app.js", ""), "ETag");
  for (const std::string& sent : {etag, "W/" + etag, "\"x\", " + etag, std::string("*")}) {
    INFO(sent);
    HttpResponse answer = console_response("app.js", sent);
    CHECK(answer.status == 304);
    CHECK(answer.body.empty());
    CHECK(header(answer, "ETag") == etag);
    CHECK(header(answer, "Cache-Control") == "no-cache");
  }
  for (const std::string& sent : {std::string("\"x\""), std::string(etag.substr(1))}) {
    INFO(sent);
    CHECK(console_response("app.js", sent).status == 200);
  }
}

TEST_CASE("a file the console does not have is a 404 problem naming it") {
  for (const std::string& name :
       std::vector<std::string>{"missing.js", "../wiring.cc", "embed.cmake", "\xff"}) {
    INFO(name);
    HttpResponse answer = console_response(name, "");
    CHECK(answer.status == 404);
    CHECK(header(answer, "Content-Type") == "application/problem+json");
    auto body = nlohmann::json::parse(answer.body);
    CHECK(body["status"] == 404);
    if (name != "\xff") CHECK(body["detail"].get<std::string>().find(name) != std::string::npos);
  }
}
