#include "services/gateway/admin_auth.h"

#include <openssl/crypto.h>
#include <sys/stat.h>

#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

#include "libs/core/digest.h"

namespace mpli::gateway {
namespace {

std::string_view trim(std::string_view text) {
  auto space = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  while (!text.empty() && space(text.front())) text.remove_prefix(1);
  while (!text.empty() && space(text.back())) text.remove_suffix(1);
  return text;
}

bool equal_ignoring_case(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

// Compares in time independent of where the strings differ, so the answer's timing tells an
// attacker nothing about how much of a guess was right. Both sides are hashed first: equal
// lengths for CRYPTO_memcmp, and the length of the token does not leak either.
bool same_token(std::string_view presented, const std::string& expected) {
  std::string a = digest::sha256_hex(presented);
  std::string b = digest::sha256_hex(expected);
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace

Result<std::optional<std::string>> load_admin_token(const std::string& path) {
  if (path.empty()) return std::optional<std::string>();
  struct stat info {};
  if (stat(path.c_str(), &info) != 0) {
    return invalid_argument("admin.token_file " + path + ": " + std::strerror(errno));
  }
  if (!S_ISREG(info.st_mode)) {
    return invalid_argument("admin.token_file " + path + ": not a regular file");
  }
  if ((info.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
    char mode[8];
    std::snprintf(mode, sizeof(mode), "%04o", static_cast<unsigned>(info.st_mode & 07777));
    return invalid_argument("admin.token_file " + path + " has mode " + mode +
                            ": group or others may read the admin token; run chmod 600 " + path);
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return invalid_argument("admin.token_file " + path + ": cannot be read");
  std::stringstream text;
  text << in.rdbuf();
  std::string token(trim(text.str()));
  if (token.size() < 16) {
    return invalid_argument("admin.token_file " + path +
                            ": the token must be at least 16 characters (e.g. 32 random bytes "
                            "as hex: openssl rand -hex 32)");
  }
  return std::optional<std::string>(std::move(token));
}

std::optional<Problem> AdminAuthorization::refusal(std::string_view authorization) const {
  if (!token_) {
    Problem problem = http_problem(
        403, "admin routes are disabled: the gateway setting admin.token_file is unset");
    problem.body["reason"] = "admin_disabled";
    return problem;
  }
  std::string_view value = trim(authorization);
  constexpr std::string_view kScheme = "bearer ";
  if (value.size() <= kScheme.size() ||
      !equal_ignoring_case(value.substr(0, kScheme.size()), kScheme)) {
    Problem problem =
        http_problem(401, "this route needs the admin token: Authorization: Bearer <token>");
    problem.body["reason"] = "unauthenticated";
    return problem;
  }
  if (!same_token(trim(value.substr(kScheme.size())), *token_)) {
    Problem problem = http_problem(403, "the bearer token is not the admin token");
    problem.body["reason"] = "not_admin";
    return problem;
  }
  return std::nullopt;
}

}  // namespace mpli::gateway
