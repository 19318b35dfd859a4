#include "workers/postgresql/role_password.h"

#include <catch2/catch.hpp>
#include <set>

namespace mpli::pgworker {
namespace {

TEST_CASE("generated passwords are 32 URI-safe characters and differ each time") {
  std::set<std::string> seen;
  for (int i = 0; i < 50; ++i) {
    auto password = generate_password();
    REQUIRE(password.is_ok());
    CHECK(password->size() == 32);
    CHECK(password->find_first_not_of(
              "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") ==
          std::string::npos);
    seen.insert(*password);
  }
  CHECK(seen.size() == 50);
}

TEST_CASE("the SCRAM-SHA-256 verifier has PostgreSQL's stored form") {
  // Salt 00..0f, password "pencil", 4096 iterations; the expected value was computed apart from
  // this code (Python's hashlib/hmac). The integration tests log in with such verifiers.
  std::string salt;
  for (char c = 0; c < 16; ++c) salt += c;
  auto verifier = scram_sha256_verifier("pencil", salt);
  REQUIRE(verifier.is_ok());
  CHECK(*verifier ==
        "SCRAM-SHA-256$4096:AAECAwQFBgcICQoLDA0ODw==$zHCdol2044/ZyWzPLi7oxApCkamKw9Z+E4U/"
        "QApd/5Y=:dd5peBOitVnLNFu7VmwP+HiDaaw4OUCv396eVCWhYiE=");
}

TEST_CASE("a fresh salt makes each verifier of one password different") {
  CHECK(*scram_sha256_verifier("pencil") != *scram_sha256_verifier("pencil"));
}

TEST_CASE("a password SASLprep would change is refused") {
  CHECK_FALSE(scram_sha256_verifier("with space", "salt").is_ok());
  CHECK_FALSE(scram_sha256_verifier("caf\xc3\xa9", "salt").is_ok());
}

}  // namespace
}  // namespace mpli::pgworker
