#include "services/discovery/domain/provider_id.h"

#include <catch2/catch.hpp>
#include <fstream>
#include <regex>
#include <sstream>
#include <vector>

using namespace mpli::discovery;

namespace {
// The sh:pattern the manifest shapes give mpli:providerId.
std::string shapes_pattern() {
  std::ifstream in(std::string(MPLI_SOURCE_DIR) + "/ontology/shapes/manifest.ttl");
  REQUIRE(in);
  std::stringstream text;
  text << in.rdbuf();
  std::string shapes = text.str();
  size_t at = shapes.find("sh:path mpli:providerId");
  REQUIRE(at != std::string::npos);
  size_t pattern = shapes.find("sh:pattern \"", at);
  REQUIRE(pattern != std::string::npos);
  pattern += std::string("sh:pattern \"").size();
  return shapes.substr(pattern, shapes.find('"', pattern) - pattern);
}
}  // namespace

TEST_CASE("the shapes and the code state the same provider id rule") {
  CHECK(shapes_pattern() == kProviderIdPattern);
}

TEST_CASE("a provider id is a DNS label: what the pattern says, the code says") {
  std::regex pattern(kProviderIdPattern);
  for (const std::string& id :
       std::vector<std::string>{"hexacloud", "a", "a1", "nord-wolke", "0x", std::string(63, 'a')}) {
    INFO(id);
    CHECK(valid_provider_id(id));
    CHECK(std::regex_match(id, pattern));
  }
  for (const std::string& id :
       std::vector<std::string>{"", "-a", "a-", "Nord", "nord wolke", "a.b", "a*", "a>", "\xC3\xA9",
                                std::string(64, 'a')}) {
    INFO(id);
    CHECK_FALSE(valid_provider_id(id));
    CHECK_FALSE(std::regex_match(id, pattern));
  }
}
