#include "tools/mpli/hub.h"

#include <catch2/catch.hpp>
#include <map>

using namespace mpli::cli;

namespace {
mpli::config::Environment environment(std::map<std::string, std::string> values) {
  return [values](const std::string& name) -> std::optional<std::string> {
    auto it = values.find(name);
    if (it == values.end()) return std::nullopt;
    return it->second;
  };
}

ParsedArguments parse(const std::vector<std::string>& args) {
  CommandSpec spec{"x", "", "", hub_options(), 0, 0};
  auto parsed = parse_arguments(spec, args);
  REQUIRE(parsed.ok());
  return parsed;
}
}  // namespace

TEST_CASE("hub: --hub, else MPLI_HUB, else MPLI_GATEWAY_URL, else the local default") {
  CHECK(hub_url(parse({"--hub", "http://a:1/"}), environment({{"MPLI_HUB", "http://b:2"}})) ==
        "http://a:1");
  CHECK(hub_url(parse({}), environment({{"MPLI_HUB", "http://b:2"},
                                        {"MPLI_GATEWAY_URL", "http://c:3"}})) == "http://b:2");
  CHECK(hub_url(parse({}), environment({{"MPLI_GATEWAY_URL", "http://c:3//"}})) == "http://c:3");
  CHECK(hub_url(parse({}), environment({{"MPLI_HUB", ""}})) == kDefaultHub);
  // The old option name still works.
  CHECK(hub_url(parse({"--gateway", "http://d:4"}), environment({})) == "http://d:4");
}

TEST_CASE("hub: the token comes from --token-file, else MPLI_TOKEN, else the local admin token") {
  auto env = environment({{"MPLI_TOKEN", "secret"}, {"MPLI_STATE_DIR", "/s"}});
  auto from_file = plan_token(parse({"--token-file", "/t"}), env, TokenUse::kIfGiven, true);
  CHECK(from_file.source == TokenSource::kFile);
  CHECK(from_file.path == "/t");
  auto from_env = plan_token(parse({}), env, TokenUse::kRequired, true);
  CHECK(from_env.source == TokenSource::kEnvironment);
  CHECK(from_env.path.empty());  // the token itself never travels in the plan

  auto none = environment({{"MPLI_STATE_DIR", "/s"}});
  CHECK(plan_token(parse({}), none, TokenUse::kIfGiven, true).source == TokenSource::kNone);
  CHECK(plan_token(parse({}), none, TokenUse::kPreferred, false).source == TokenSource::kNone);
  auto preferred = plan_token(parse({}), none, TokenUse::kPreferred, true);
  CHECK(preferred.source == TokenSource::kStateFile);
  CHECK(preferred.path == "/s/admin-token");
  // Required: the local file is named even when missing, so the message can say where.
  auto required = plan_token(parse({}), environment({}), TokenUse::kRequired, false);
  CHECK(required.source == TokenSource::kStateFile);
  CHECK(required.path == ".mpli/admin-token");
}

TEST_CASE("hub: exit codes by HTTP status") {
  CHECK(exit_code_for_status(200) == kExitOk);
  CHECK(exit_code_for_status(204) == kExitOk);
  CHECK(exit_code_for_status(400) == kExitRefused);
  CHECK(exit_code_for_status(401) == kExitRefused);
  CHECK(exit_code_for_status(404) == kExitRefused);
  CHECK(exit_code_for_status(429) == kExitRefused);
  CHECK(exit_code_for_status(0) == kExitUnavailable);
  CHECK(exit_code_for_status(500) == kExitUnavailable);
  CHECK(exit_code_for_status(503) == kExitUnavailable);
  CHECK(exit_code_for_status(504) == kExitUnavailable);
}

TEST_CASE("hub: failure messages say what the problem says, and where a token comes from") {
  CHECK(failure_message(0, "", "http://h:1", false) ==
        "cannot reach the hub at http://h:1 (is it running? `mpli up` starts one; --hub or "
        "MPLI_HUB names another)\n");
  std::string syntax = failure_message(
      400,
      R"({"title":"Bad Request","status":400,"reason":"manifest_syntax","detail":"bad token","line":3,"column":7})",
      "http://h:1", false);
  CHECK(syntax ==
        "refused: HTTP 400 Bad Request (manifest_syntax): bad token\n  at line 3, column 7\n");
  std::string field = failure_message(
      400, R"({"title":"Bad Request","field":"min_vcpu","detail":"not a number"})", "h", false);
  CHECK(field == "refused: HTTP 400 Bad Request [min_vcpu]: not a number\n");
  CHECK(failure_message(503, R"({"title":"Service Unavailable"})", "h", false)
            .rfind("the hub failed: HTTP 503 Service Unavailable", 0) == 0);
  CHECK(failure_message(401, R"({"title":"Unauthorized"})", "h", false)
            .find("--token-file FILE or MPLI_TOKEN") != std::string::npos);
  CHECK(failure_message(401, R"({"title":"Unauthorized"})", "h", true)
            .find("did not accept the token") != std::string::npos);
  CHECK(failure_message(502, "<html>proxy</html>", "h", false) ==
        "the hub failed: HTTP 502: <html>proxy</html>\n");
}

TEST_CASE("hub: query strings skip empty values and percent-encode the rest") {
  CHECK(query_string({}) == "");
  CHECK(query_string({{"kind", ""}}) == "");
  CHECK(query_string({{"q", "PostgreSQL S"}, {"kind", ""}, {"subject", "https://a.example/x#y"}}) ==
        "?q=PostgreSQL%20S&subject=https%3A%2F%2Fa.example%2Fx%23y");
  CHECK(query_string({{"q", "a&b=c+d"}}) == "?q=a%26b%3Dc%2Bd");
}
