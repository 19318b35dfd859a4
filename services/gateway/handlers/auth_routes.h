// GET /.well-known/jwks.json: the public half of the hub's token key, so that anyone (another
// hub, a marketplace, a test) can verify the hub's tokens without asking the gateway.
#pragma once

#include <memory>
#include <vector>

#include "libs/credentials/public_key.h"
#include "services/gateway/auth/guard.h"
#include "services/gateway/bounded_executor.h"
#include "services/gateway/http_server.h"

namespace mpli::gateway {

// `keys`: the hub's public keys (none when the gateway has no signing key: an empty set).
void add_auth_routes(HttpServer& server, const std::shared_ptr<const auth::Guard>& guard,
                     BoundedExecutor* executor, const std::vector<credentials::PublicKey>& keys);

}  // namespace mpli::gateway
