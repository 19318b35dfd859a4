// The hub's key file: refused when others may read it, created 0600 when missing.
#include "services/gateway/auth/hub_key.h"

#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace mpli::gateway::auth {

TEST_CASE("the signing key file is created 0600, read back, and refused when others may read it") {
  char pattern[] = "/tmp/mpli-hub-key-XXXXXX";
  REQUIRE(mkdtemp(pattern) != nullptr);
  std::string dir = pattern;
  std::string path = dir + "/hub-signing-key.pem";
  auto created = load_or_create_signing_key(path);
  REQUIRE(created);
  struct stat info {};
  REQUIRE(stat(path.c_str(), &info) == 0);
  CHECK((info.st_mode & 0777) == 0600);
  auto again = load_or_create_signing_key(path);
  REQUIRE(again);
  CHECK(key_id(again->public_key()) == key_id(created->public_key()));  // not replaced

  REQUIRE(chmod(path.c_str(), 0640) == 0);
  auto refused = load_signing_key(path, "auth.signing_key_file");
  REQUIRE_FALSE(refused);
  CHECK(refused.status().message().find("chmod 600") != std::string::npos);

  REQUIRE(chmod(path.c_str(), 0600) == 0);
  { std::ofstream(path) << "not a key"; }
  CHECK_FALSE(load_signing_key(path, "auth.signing_key_file"));
  CHECK_FALSE(load_signing_key(dir + "/missing.pem", "auth.signing_key_file"));
  std::filesystem::remove_all(dir);
}

}  // namespace mpli::gateway::auth
