#include "services/gateway/handlers/openapi_routes.h"

#include "services/gateway/openapi/openapi_document.h"

namespace mpli::gateway {

void add_openapi_routes(HttpServer& server) {
  server.route("GET", "/openapi.json", {"application/json", "application/vnd.oai.openapi+json"},
               nullptr, [](const RouteRequest& request, Responder responder) {
                 // The document changes only with the binary: clients may keep it briefly.
                 responder.send({200,
                                 {{"Content-Type", request.media_type},
                                  {"Vary", "Accept"},
                                  {"Cache-Control", "public, max-age=300"}},
                                 openapi_document()});
               });
}

}  // namespace mpli::gateway
