#include "services/gateway/handlers/auth_routes.h"

#include <nlohmann/json.hpp>

#include "libs/credentials/jwk.h"
#include "services/gateway/auth/hub_key.h"

namespace mpli::gateway {

void add_auth_routes(HttpServer& server, const std::shared_ptr<const auth::Guard>& guard,
                     BoundedExecutor* executor, const std::vector<credentials::PublicKey>& keys) {
  nlohmann::json jwks = {{"keys", nlohmann::json::array()}};
  for (const auto& key : keys) {
    nlohmann::json jwk = credentials::public_jwk(key);
    jwk["kid"] = auth::key_id(key);
    jwk["use"] = "sig";
    jwk["alg"] = "ES256";
    jwks["keys"].push_back(jwk);
  }
  // Built once: the key does not change while the gateway runs.
  server.route(
      "GET", "/.well-known/jwks.json", {"application/json"}, executor,
      guard->protect(auth::Access::kPublic, [jwks](const RouteRequest&, Responder responder) {
        responder.send_json(200, jwks, {{"Cache-Control", "public, max-age=300"}});
      }));
}

}  // namespace mpli::gateway
