#include "libs/process/secrets.h"

#include <crypt.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace mpli::process {
namespace {

struct ScratchDir {
  ScratchDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "mpli-secrets-XXXXXX").string();
    REQUIRE(mkdtemp(pattern.data()) != nullptr);
    path = pattern;
  }
  ~ScratchDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  std::string path;
};

mode_t mode_of(const std::string& path) {
  struct stat info {};
  REQUIRE(stat(path.c_str(), &info) == 0);
  return info.st_mode & 0777;
}

TEST_CASE("random secrets are 64 hex digits and differ every time") {
  std::string a = random_hex_secret();
  std::string b = random_hex_secret();
  CHECK(a.size() == 64);
  CHECK(a.find_first_not_of("0123456789abcdef") == std::string::npos);
  CHECK(a != b);
}

TEST_CASE("a secret file is created 0600 once and read back at later starts") {
  ScratchDir dir;
  std::string path = dir.path + "/worker-a.password";
  auto first = load_or_create_secret(path, "");
  REQUIRE(first.is_ok());
  CHECK(first->size() == 64);
  CHECK(mode_of(path) == 0600);
  auto again = load_or_create_secret(path, "");
  REQUIRE(again.is_ok());
  CHECK(*again == *first);
}

TEST_CASE("a secret file readable by others is narrowed to its owner") {
  ScratchDir dir;
  std::string path = dir.path + "/wide";
  std::ofstream(path) << "kept-secret\n";
  chmod(path.c_str(), 0644);
  auto secret = load_or_create_secret(path, "");
  REQUIRE(secret.is_ok());
  CHECK(*secret == "kept-secret");
  CHECK(mode_of(path) == 0600);
}

TEST_CASE("an empty secret file is an error naming the file, not an empty password") {
  ScratchDir dir;
  std::string path = dir.path + "/empty";
  std::ofstream(path) << "\n";
  auto secret = load_or_create_secret(path, "");
  REQUIRE_FALSE(secret.is_ok());
  CHECK(secret.status().code() == StatusCode::kFailedPrecondition);
  CHECK_THAT(secret.status().message(), Catch::Contains(path));
}

TEST_CASE("a bcrypt hash verifies its password only, with a fresh salt each time") {
  auto hash = bcrypt_hash("correct horse");
  REQUIRE(hash.is_ok());
  CHECK(hash->rfind("$2a$10$", 0) == 0);
  CHECK(hash->size() == 60);
  auto other = bcrypt_hash("correct horse");
  REQUIRE(other.is_ok());
  CHECK(*other != *hash);
  crypt_data data{};
  CHECK(std::string(crypt_r("correct horse", hash->c_str(), &data)) == *hash);
  CHECK(std::string(crypt_r("wrong horse", hash->c_str(), &data)) != *hash);
}

}  // namespace
}  // namespace mpli::process
