// GET /openapi.json: the gateway's OpenAPI 3.1 document (services/gateway/openapi/openapi.json),
// compiled into the binary, public. tests/integration/gateway_openapi_test.cc keeps it equal to
// the routes the gateway registers; the suite lints it with Redocly (gateway_openapi_lint).
#pragma once

#include "services/gateway/http_server.h"

namespace mpli::gateway {

// Answered on the I/O thread: the bytes are in memory, nothing waits. As application/json, or
// application/vnd.oai.openapi+json when the client asks for that.
void add_openapi_routes(HttpServer& server);

}  // namespace mpli::gateway
