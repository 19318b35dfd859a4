#include "services/gateway/admin_auth.h"

#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <fstream>

using namespace mpli;
using namespace mpli::gateway;

namespace {
constexpr const char* kToken = "0123456789abcdef0123456789abcdef";

// A token file in a fresh directory, with `mode`.
struct TokenFile {
  explicit TokenFile(const std::string& content, mode_t mode) {
    char pattern[] = "/tmp/mpli-admin-token-XXXXXX";
    REQUIRE(mkdtemp(pattern) != nullptr);
    dir = pattern;
    path = dir + "/admin-token";
    std::ofstream(path) << content;
    REQUIRE(chmod(path.c_str(), mode) == 0);
  }
  ~TokenFile() {
    unlink(path.c_str());
    rmdir(dir.c_str());
  }
  std::string dir;
  std::string path;
};
}  // namespace

TEST_CASE("the admin token file is read once, trimmed, and only when nobody else can read it") {
  SECTION("mode 0600: the token without its newline") {
    TokenFile file(std::string(kToken) + "\n", 0600);
    auto token = load_admin_token(file.path);
    REQUIRE(token.is_ok());
    REQUIRE(token->has_value());
    CHECK(**token == kToken);
  }
  SECTION("readable by group or others: refused with the mode and the fix") {
    for (mode_t mode : {0640, 0604, 0644}) {
      TokenFile file(kToken, mode);
      auto token = load_admin_token(file.path);
      REQUIRE_FALSE(token.is_ok());
      CHECK(token.status().message().find("chmod 600") != std::string::npos);
      CHECK(token.status().message().find(kToken) == std::string::npos);  // never the secret
    }
  }
  SECTION("no path: admin routes disabled, not an error") {
    auto token = load_admin_token("");
    REQUIRE(token.is_ok());
    CHECK_FALSE(token->has_value());
  }
  SECTION("missing, empty or too short: refused") {
    CHECK_FALSE(load_admin_token("/nonexistent/admin-token").is_ok());
    TokenFile empty("\n", 0600);
    CHECK_FALSE(load_admin_token(empty.path).is_ok());
    TokenFile short_token("abc", 0600);
    CHECK_FALSE(load_admin_token(short_token.path).is_ok());
  }
}

TEST_CASE("admin routes: 401 without a bearer token, 403 with another, through with the token") {
  AdminAuthorization admin{std::string(kToken)};
  auto missing = admin.refusal("");
  REQUIRE(missing);
  CHECK(missing->http_status == 401);
  auto basic = admin.refusal("Basic dXNlcjpwYXNz");
  REQUIRE(basic);
  CHECK(basic->http_status == 401);
  auto empty_bearer = admin.refusal("Bearer ");
  REQUIRE(empty_bearer);
  CHECK(empty_bearer->http_status == 401);

  auto wrong = admin.refusal("Bearer 0123456789abcdef0123456789abcdeX");
  REQUIRE(wrong);
  CHECK(wrong->http_status == 403);
  auto prefix = admin.refusal("Bearer 0123456789abcdef");  // a prefix of the token is no token
  REQUIRE(prefix);
  CHECK(prefix->http_status == 403);
  CHECK(wrong->body.dump().find(kToken) == std::string::npos);

  CHECK_FALSE(admin.refusal(std::string("Bearer ") + kToken));
  CHECK_FALSE(admin.refusal(std::string("bearer  ") + kToken + " "));  // scheme is case-blind
}

TEST_CASE("without a configured token every admin request is 403 saying why") {
  AdminAuthorization admin{std::nullopt};
  for (std::string header : {"", "Bearer anything-at-all-long-enough"}) {
    auto refusal = admin.refusal(header);
    REQUIRE(refusal);
    CHECK(refusal->http_status == 403);
    CHECK(refusal->body["detail"].get<std::string>().find("admin.token_file") != std::string::npos);
  }
}
