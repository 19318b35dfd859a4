#include "libs/core/config.h"

#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <fstream>
#include <map>

using namespace mpli;

namespace {
config::Environment env_of(std::map<std::string, std::string> values) {
  return [values](const std::string& name) -> std::optional<std::string> {
    auto it = values.find(name);
    if (it == values.end()) return std::nullopt;
    return it->second;
  };
}

std::vector<config::Setting> settings() {
  return {
      {"nats.url", "nats://127.0.0.1:4222", "NATS", config::url_with_scheme({"nats", "tls"})},
      {"http.port", "8080", "port", config::int_between(1, 65535)},
      {"shutdown.timeout", "10s", "drain", config::duration()},
      {"database.url", "", "dsn", {}, true, true},
  };
}

std::string write_file(const std::string& text) {
  char name[] = "/tmp/mpli-config-test-XXXXXX";
  int fd = mkstemp(name);
  close(fd);
  std::ofstream(name) << text;
  return name;
}
}  // namespace

TEST_CASE("defaults, file and environment are layered in that order") {
  std::string file = write_file("# comment\nhttp.port = 9000\nshutdown.timeout = \"2s\"\n");
  auto config = config::Config::load(
      settings(), file, env_of({{"MPLI_HTTP_PORT", "9100"}, {"MPLI_DATABASE_URL", "host=x"}}));
  std::remove(file.c_str());
  REQUIRE(config.is_ok());
  CHECK(config->get("nats.url") == "nats://127.0.0.1:4222");
  CHECK(config->get_int("http.port") == 9100);
  CHECK(config->get_duration("shutdown.timeout") == std::chrono::seconds(2));
}

TEST_CASE("a bad environment value names the variable, the setting and the rule") {
  auto config = config::Config::load(
      settings(), "", env_of({{"MPLI_NATS_URL", "localhost:4222"}, {"MPLI_DATABASE_URL", "x"}}));
  REQUIRE_FALSE(config.is_ok());
  CHECK(config.status().code() == StatusCode::kInvalidArgument);
  CHECK(config.status().message() ==
        "MPLI_NATS_URL (nats.url): must be a URL starting with nats:// or tls:// (got "
        "'localhost:4222')");
}

TEST_CASE("an unknown key in the file is reported with file and line") {
  std::string file = write_file("http.port = 9000\n\nnats_url = nats://x\n");
  auto config = config::Config::load(settings(), file, env_of({{"MPLI_DATABASE_URL", "x"}}));
  std::remove(file.c_str());
  REQUIRE_FALSE(config.is_ok());
  CHECK(config.status().message() == file + ":3: unknown setting 'nats_url'");
}

TEST_CASE("a rejected value from the file says where it came from") {
  std::string file = write_file("http.port = 70000\n");
  auto config = config::Config::load(settings(), file, env_of({{"MPLI_DATABASE_URL", "x"}}));
  std::remove(file.c_str());
  REQUIRE_FALSE(config.is_ok());
  CHECK(config.status().message() ==
        file + ":1 (http.port): must be an integer from 1 to 65535 (got '70000')");
}

TEST_CASE("a required setting must be set, and secrets are never shown") {
  auto missing = config::Config::load(settings(), "", env_of({}));
  REQUIRE_FALSE(missing.is_ok());
  CHECK(missing.status().message().find("MPLI_DATABASE_URL (database.url): required") == 0);

  auto config =
      config::Config::load(settings(), "", env_of({{"MPLI_DATABASE_URL", "password=hunter2"}}));
  REQUIRE(config.is_ok());
  CHECK(config->describe().at("database.url") == "<redacted>");
  CHECK(config->get("database.url") == "password=hunter2");
}

TEST_CASE("durations and booleans parse strictly") {
  CHECK(config::parse_duration("250ms") == std::chrono::milliseconds(250));
  CHECK(config::parse_duration("2m") == std::chrono::minutes(2));
  CHECK_FALSE(config::parse_duration("5").has_value());
  CHECK_FALSE(config::parse_duration("s").has_value());
  CHECK_FALSE(config::parse_duration("-1s").has_value());
  CHECK(config::parse_bool("yes") == true);
  CHECK_FALSE(config::parse_bool("maybe").has_value());
  CHECK(config::environment_name("database.pool_size") == "MPLI_DATABASE_POOL_SIZE");
}

TEST_CASE("a list of URLs is checked URL by URL") {
  auto check = config::url_list_with_scheme({"nats", "tls"});
  CHECK(check("nats://127.0.0.1:4222") == "");
  CHECK(check("nats://127.0.0.1:4222,nats://127.0.0.1:4223,tls://hub:4224") == "");
  CHECK(check("nats://127.0.0.1:4222,http://127.0.0.1:4223") ==
        "URL 2 of the list must be a URL starting with nats:// or tls://");
  CHECK(check("nats://a,") == "URL 2 of the list must be a URL starting with nats:// or tls://");
}
