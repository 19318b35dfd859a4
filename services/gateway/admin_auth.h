// Who may use the admin routes (trust anchors, issuing) until the gateway has real bearer-token
// roles: whoever presents the one admin token from `admin.token_file`. No token configured means
// the admin routes are off, never open.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "libs/core/status.h"
#include "services/gateway/domain/problem.h"

namespace mpli::gateway {

// The token in `path` (surrounding whitespace dropped), read once at start. "" path: no token,
// admin routes disabled. An unreadable or empty file, or one that group or others may read, is
// an error that stops the gateway: a leaked admin token is worse than a gateway that won't start.
Result<std::optional<std::string>> load_admin_token(const std::string& path);

class AdminAuthorization {
 public:
  explicit AdminAuthorization(std::optional<std::string> token) : token_(std::move(token)) {}

  // nullopt: the request may go on. Otherwise the answer: 403 when admin routes are disabled,
  // 401 with WWW-Authenticate when no bearer token came, 403 when it is not the admin token.
  // `authorization` is the request's Authorization header ("" when absent).
  std::optional<Problem> refusal(std::string_view authorization) const;

 private:
  std::optional<std::string> token_;
};

}  // namespace mpli::gateway
