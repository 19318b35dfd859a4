// The web console in Chromium against a real local federation: `mpli up` on free ports (every
// service, PostgreSQL, nats-server, the three demo providers), then tests/browser/console_test.js
// (playwright-core driving Debian's headless chromium) clicks through browse -> filter ->
// offering -> sign in -> resolve -> order (followed live to active: nordwolke's worker creates
// the database) -> move it to polderstack (followed live through its steps), and saves
// screenshots under build/tests/browser-screenshots.
#include <signal.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "libs/process/child_process.h"
#include "libs/testing/environment.h"
#include "libs/testing/loopback_ports.h"

using namespace mpli;
using namespace std::chrono_literals;

namespace {

bool executable(const std::string& path) { return access(path.c_str(), X_OK) == 0; }

std::string env_or(const char* name, const std::string& fallback) {
  const char* value = std::getenv(name);
  return value != nullptr && *value != '\0' ? value : fallback;
}

// The last non-empty line of `text` (where `mpli token create` prints the token).
std::string last_line(const std::string& text) {
  std::istringstream lines(text);
  std::string line;
  std::string last;
  while (std::getline(lines, line)) {
    if (!line.empty()) last = line;
  }
  return last;
}

}  // namespace

TEST_CASE(
    "the web console in Chromium: browse, filter, open an offering, sign in, resolve, order, "
    "move") {
  const std::string node = env_or("MPLI_NODE", "/usr/bin/node");
  const std::string chromium = env_or("MPLI_CHROMIUM", "/usr/bin/chromium");
  // Where the script looks for playwright-core: the build's configured node_modules, then
  // whatever NODE_PATH already says.
  std::string node_path = MPLI_NODE_MODULES;
  if (const char* extra = std::getenv("NODE_PATH"); extra != nullptr && *extra != '\0') {
    node_path += std::string(":") + extra;
  }
  {
    // Scoped: only these checks' failures are about missing tools.
    INFO(
        "needs Debian's nodejs and chromium (scripts/packages.d) and playwright-core from npm "
        "(scripts/install-npm-tools.sh) in " MPLI_NODE_MODULES " or on NODE_PATH");
    REQUIRE(executable(node));
    REQUIRE(executable(chromium));
    process::Spec probe;
    probe.program = node;
    probe.args = {"-e", "require('playwright-core')"};
    probe.environment["NODE_PATH"] = node_path;
    auto found = process::run(probe, 60s);
    REQUIRE(found.is_ok());
    INFO(found->output);
    REQUIRE(found->exit_code == 0);
  }

  testing::TempDir dir;
  // `mpli up` puts the demo providers after each of these ports.
  int http_port = testing::free_port_block(4);
  int nats_port = testing::free_port_block(4, {http_port}, 8);
  int pg_port = testing::free_port_block(4, {http_port, nats_port}, 8);
  std::string state = dir.path() + "/state";
  std::string base = "http://127.0.0.1:" + std::to_string(http_port);
  process::Spec up;
  up.program = testing::bin_dir() + "/mpli";
  up.args = {"up",
             "--state-dir",
             state,
             "--port",
             std::to_string(http_port),
             "--nats-port",
             std::to_string(nats_port),
             "--postgres-port",
             std::to_string(pg_port)};
  up.output_file = dir.path() + "/up.log";
  auto federation = process::ChildProcess::spawn(up);
  REQUIRE(federation.is_ok());

  testing::wait_until([&] { return testing::http_get(base + "/readyz").status == 200; }, 90s,
                      "the federation is ready (see up.log)");
  testing::wait_until(
      [&] {
        auto r = testing::http_get(base + "/.well-known/mpli-providers");
        return r.status == 200 && nlohmann::json::parse(r.body)["providers"].size() == 3;
      },
      60s, "the three demo providers are registered");

  // `mpli token create ARGS` for this federation: the token (its output's last line).
  auto mint_token = [&](std::vector<std::string> args) {
    process::Spec create;
    create.program = testing::bin_dir() + "/mpli";
    create.args = {"token", "create", "--state", state};
    create.args.insert(create.args.end(), args.begin(), args.end());
    auto created = process::run(create, 30s);
    REQUIRE(created.is_ok());
    INFO(created->output);
    REQUIRE(created->exit_code == 0);
    std::string minted = last_line(created->output);
    REQUIRE_FALSE(minted.empty());
    return minted;
  };
  // A consumer token: resolutions need one, and the console sends it once signed in.
  const std::string token = mint_token({"--role", "consumer", "--tenant", "browser-test"});
  const std::string manifest =
      std::string(MPLI_SOURCE_DIR) + "/ontology/examples/consumer-web-shop.ttl";

  // The demo consumer's credentials are verified in the background after start; resolve with
  // the CLI until the manifest finds answers, so the browser sees a settled federation.
  testing::wait_until(
      [&] {
        process::Spec cli;
        cli.program = testing::bin_dir() + "/mpli";
        cli.args = {"resolve", manifest, "--gateway", base};
        cli.environment["MPLI_TOKEN"] = token;
        auto completed = process::run(cli, 60s);
        return completed.is_ok() && completed->exit_code == 0;
      },
      90s, "mpli resolve consumer-web-shop.ttl finds answers");

  std::string screenshots = MPLI_SCREENSHOT_DIR;
  std::filesystem::create_directories(screenshots);
  process::Spec script;
  script.program = node;
  script.args = {std::string(MPLI_SOURCE_DIR) + "/tests/browser/console_test.js"};
  script.environment = {{"NODE_PATH", node_path},
                        {"MPLI_CONSOLE_URL", base},
                        {"MPLI_CONSOLE_MANIFEST", manifest},
                        {"MPLI_CONSOLE_TOKEN", token},
                        {"MPLI_SCREENSHOT_DIR", screenshots},
                        {"MPLI_CHROMIUM", chromium}};
  auto run = process::run(script, 480s);
  REQUIRE(run.is_ok());
  INFO(run->output);
  INFO("screenshots in " << screenshots << "; the federation's log: " << up.output_file);
  CHECK(run->exit_code == 0);
  CHECK(run->output.find("every step held") != std::string::npos);

  // Another tenant, and providers that are not the order's, on what the console made: every
  // read or change answers 404 (as for an id that does not exist) or 403, never the data.
  {
    std::smatch made;
    const std::regex made_line("made: resolution=(\\S+) order=(\\S+) migration=(\\S+)");
    REQUIRE(std::regex_search(run->output, made, made_line));
    const std::string resolution = made[1];
    const std::string order = made[2];
    const std::string migration = made[3];
    const std::string consumer = "Authorization: Bearer " + token;
    // The owner sees them (so a 404 below is about the caller, not about the ids).
    CHECK(testing::http_request("GET", base + "/v1/orders/" + order, "", {consumer}).status == 200);
    CHECK(
        testing::http_request("GET", base + "/v1/migrations/" + migration, "", {consumer}).status ==
        200);
    CHECK(testing::http_request("GET", base + "/v1/resolutions/" + resolution, "", {consumer})
              .status == 200);

    const std::string json = "Content-Type: application/json";
    // Asks as `who`, once naming `id` and once an id of the same form that names nothing (each
    // "{id}" in the path and body replaced): both answers must be the same refusal, with the
    // id in the second put back as the first, so nothing tells that the first exists.
    auto as_missing = [&](const std::string& who, const std::string& method,
                          const std::string& path, const std::string& body, const std::string& id) {
      auto replace_all = [](std::string text, const std::string& from, const std::string& to) {
        for (size_t at = text.find(from); at != std::string::npos; at = text.find(from, at)) {
          text.replace(at, from.size(), to);
          at += to.size();
        }
        return text;
      };
      auto ask = [&](const std::string& named) {
        std::vector<std::string> headers = {"Authorization: Bearer " + who};
        if (!body.empty()) headers.push_back(json);
        if (method == "POST") headers.push_back("Idempotency-Key: intruder " + named);
        auto answer = testing::http_request(method, base + replace_all(path, "{id}", named),
                                            replace_all(body, "{id}", named), headers);
        answer.body = replace_all(answer.body, named, "{id}");
        return answer;
      };
      std::string nothing = id;
      nothing.back() = nothing.back() == '0' ? '1' : '0';
      auto real = ask(id);
      auto none = ask(nothing);
      INFO(method << " " << path << " for " << id << ": " << real.status << " " << real.body
                  << "; for a missing id: " << none.status << " " << none.body);
      CHECK((real.status == 403 || real.status == 404 || real.status == 422));
      CHECK(real.status == none.status);
      CHECK(real.body == none.body);
      CHECK(real.body.find("mpli_ord") == std::string::npos);  // no database name or user
    };
    const std::string intruder = mint_token({"--role", "consumer", "--tenant", "intruder"});
    as_missing(intruder, "GET", "/v1/resolutions/{id}", "", resolution);
    as_missing(intruder, "GET", "/v1/orders/{id}", "", order);
    as_missing(intruder, "GET", "/v1/orders/{id}?include=secrets", "", order);
    as_missing(intruder, "PATCH", "/v1/orders/{id}", R"({"parameters":{"connection_limit":"1"}})",
               order);
    as_missing(intruder, "DELETE", "/v1/orders/{id}", "", order);
    as_missing(intruder, "POST", "/v1/orders", R"({"resolution":"{id}","rank":1})", resolution);
    as_missing(intruder, "GET", "/v1/migrations/{id}", "", migration);
    as_missing(intruder, "GET", "/v1/migrations/{id}/report", "", migration);
    as_missing(intruder, "POST", "/v1/migrations/{id}/cancel", "", migration);
    as_missing(intruder, "POST", "/v1/resolutions/{id}/answers/1/recheck", "", resolution);
    as_missing(intruder, "POST", "/v1/migrations",
               R"({"order_id":"{id}","target_offering_id":"urn:x"})", order);
    {
      auto bill =
          testing::http_request("GET", base + "/v1/bills?consumer=browser-test&period=2026-12", "",
                                {"Authorization: Bearer " + intruder});
      INFO(bill.body);
      CHECK(bill.status == 403);
      CHECK(bill.body.find(order) == std::string::npos);
    }
    // Listings leave them out.
    for (const char* list : {"/v1/orders", "/v1/migrations"}) {
      auto listed =
          testing::http_request("GET", base + list, "", {"Authorization: Bearer " + intruder});
      INFO(list << ": " << listed.body);
      CHECK(listed.status == 200);
      CHECK(listed.body.find(order) == std::string::npos);
    }
    // A provider that does not serve the order (it moved to polderstack) does not see it.
    const std::string other_provider =
        mint_token({"--role", "provider", "--provider", "hexacloud"});
    as_missing(other_provider, "GET", "/v1/orders/{id}", "", order);
    as_missing(other_provider, "GET", "/v1/migrations/{id}", "", migration);
  }

  // Stops every process `mpli up` started (it forwards the signal and waits for them).
  federation->stop(SIGINT, 60s);
}
