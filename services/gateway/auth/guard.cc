#include "services/gateway/auth/guard.h"

#include <cctype>
#include <chrono>
#include <string_view>

namespace mpli::gateway::auth {
namespace {

std::string_view trim(std::string_view text) {
  auto space = [](char c) { return c == ' ' || c == '\t'; };
  while (!text.empty() && space(text.front())) text.remove_prefix(1);
  while (!text.empty() && space(text.back())) text.remove_suffix(1);
  return text;
}

bool starts_with_bearer(std::string_view value) {
  constexpr std::string_view kScheme = "bearer ";
  if (value.size() <= kScheme.size()) return false;
  for (size_t i = 0; i < kScheme.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(value[i])) != kScheme[i]) return false;
  }
  return true;
}

void refuse_401(Responder& responder, const std::string& detail, const std::string& reason,
                bool invalid_token) {
  Problem problem = http_problem(401, detail);
  problem.body["reason"] = reason;
  std::string challenge = "Bearer realm=\"mpli\"";
  if (invalid_token) challenge += ", error=\"invalid_token\"";
  responder.send_problem(problem, {{"WWW-Authenticate", challenge}});
}

Result<std::optional<Caller>> verify_bearer(const TokenVerifier& verifier,
                                            VerifiedTokens* verified_tokens,
                                            const HttpRequest& request) {
  const std::string authorization_header = request.header("authorization");
  std::string_view authorization = trim(authorization_header);
  if (authorization.empty()) return std::optional<Caller>();
  if (!starts_with_bearer(authorization)) {
    return Status(StatusCode::kUnauthenticated, "the Authorization header must be: Bearer <token>",
                  {{"reason", "malformed"}});
  }
  std::string_view token = trim(authorization.substr(7));
  auto verified = verifier.verify(token, std::chrono::system_clock::now());
  if (!verified) return verified.status();
  if (verified_tokens != nullptr) verified_tokens->add(token);
  return std::optional<Caller>(std::move(verified).value());
}

}  // namespace

Result<std::optional<Caller>> Guard::caller_of(const HttpRequest& request) const {
  return verify_bearer(*verifier_, verified_.get(), request);
}

Guard::Handler Guard::protect(Access access, GrantedHandler handler) const {
  return [verifier = verifier_, verified = verified_, access, handler = std::move(handler)](
             const RouteRequest& request, Responder responder) {
    auto caller = verify_bearer(*verifier, verified.get(), request.http);
    if (!caller) {
      return refuse_401(responder, caller.status().message(), caller.status().detail("reason"),
                        true);
    }
    const std::string on_behalf_of = request.http.header("mpli-on-behalf-of");
    auto path_id = request.parameters.find("id");
    Decision decision =
        decide(access, *caller, path_id == request.parameters.end() ? "" : path_id->second,
               trim(on_behalf_of));
    if (decision.status == 401) {
      return refuse_401(responder, decision.detail, "unauthenticated", false);
    }
    if (decision.status != 200) {
      Problem problem = http_problem(decision.status, decision.detail);
      problem.body["reason"] = "forbidden";
      return responder.send_problem(problem);
    }
    handler(decision.grant, request, std::move(responder));
  };
}

Guard::Handler Guard::protect(Access access, Handler handler) const {
  return protect(access, [handler = std::move(handler)](const Grant&, const RouteRequest& request,
                                                        Responder responder) {
    handler(request, std::move(responder));
  });
}

}  // namespace mpli::gateway::auth
