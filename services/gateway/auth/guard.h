// The gate in front of every route: reads the bearer token, has it verified, asks decide() for
// the route's Access, and either answers 401/403 (problem+json, WWW-Authenticate on 401) or runs
// the route's handler with what the caller was granted. Nothing is read from the body and no
// service is asked before this.
#pragma once

#include <functional>
#include <memory>

#include "services/gateway/auth/access.h"
#include "services/gateway/auth/token_verifier.h"
#include "services/gateway/http/responder.h"
#include "services/gateway/ops/rate_limiter.h"

namespace mpli::gateway::auth {

class Guard {
 public:
  using Handler = std::function<void(const RouteRequest&, Responder)>;
  using GrantedHandler = std::function<void(const Grant&, const RouteRequest&, Responder)>;

  // `verified`, when given, learns every token that verifies (for the rate limit's buckets).
  explicit Guard(std::shared_ptr<const TokenVerifier> verifier,
                 std::shared_ptr<VerifiedTokens> verified = nullptr)
      : verifier_(std::move(verifier)), verified_(std::move(verified)) {}

  Handler protect(Access access, GrantedHandler handler) const;
  // For routes whose answer does not depend on who asks.
  Handler protect(Access access, Handler handler) const;

  // Who the request's bearer token says the caller is: nullopt without an Authorization header;
  // a header that is not "Bearer <token>", or a token that does not verify, is kUnauthenticated
  // with the reason in detail "reason". For routes that decide by the whole caller (the event
  // stream filters events by role, tenant, provider and a marketplace's tenants).
  Result<std::optional<Caller>> caller_of(const HttpRequest& request) const;

 private:
  std::shared_ptr<const TokenVerifier> verifier_;
  std::shared_ptr<VerifiedTokens> verified_;
};

}  // namespace mpli::gateway::auth
