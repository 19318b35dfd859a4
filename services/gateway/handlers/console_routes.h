// GET / and GET /console/:file: the web console, static files compiled into the binary
// (services/gateway/console/, embedded at build time by console/embed.cmake). Each answer has
// its media type, a strong ETag (If-None-Match answers 304), Cache-Control, and a
// Content-Security-Policy that allows only the console's own scripts and styles.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "services/gateway/http/response.h"
#include "services/gateway/http_server.h"

namespace mpli::gateway {

struct ConsoleFile {
  std::string_view name;          // "app.js", as under /console/
  std::string_view content_type;  // "text/javascript; charset=utf-8"
  std::string_view etag;          // "\"<first 128 bits of SHA-256, hex>\"": strong
  std::string_view body;
};

// Every console file, generated from services/gateway/console/ at build time.
const std::vector<ConsoleFile>& console_files();

// The answer for console file `name` to a request with `if_none_match` (the header's value, ""
// when absent): 200 with the file, 304 when the client holds this version, 404 (problem+json)
// for a name the console does not have. Pure, so the header rules are checked without a server.
HttpResponse console_response(std::string_view name, std::string_view if_none_match);

// The console's routes: `/` is index.html, `/console/:file` the rest. Answered on the I/O
// thread: the bytes are in memory, nothing waits.
void add_console_routes(HttpServer& server);

}  // namespace mpli::gateway
