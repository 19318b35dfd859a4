// The built `mpli` binary against a real hub (nats-server, PostgreSQL, mpli-discovery,
// mpli-gateway): providers and offerings as tables and as JSON, a refusal's message and exit
// code, an unreachable or failing hub, and `--help` on every command and subcommand.
//
// Tokens: the test makes a hub signing key, starts the gateway with it
// (MPLI_AUTH_SIGNING_KEY_FILE) and gives every command an admin token from `mpli token create`.
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "libs/process/child_process.h"
#include "libs/testing/environment.h"

using namespace mpli;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

using Env = std::map<std::string, std::string>;

struct Outcome {
  int exit_code = -1;
  std::string out;  // stdout
  std::string err;  // stderr
};

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string write_file(const std::string& path, const std::string& content) {
  std::ofstream(path) << content;
  REQUIRE(chmod(path.c_str(), 0600) == 0);
  return path;
}

// build/bin/mpli with `args` in `dir`, stdout and stderr apart. The variables that point mpli at
// a hub or a token are removed unless `env` sets them, so a developer's own hub cannot answer.
Outcome run_mpli(const std::vector<std::string>& args, const std::string& dir,
                 const Env& env = {}) {
  std::string err_file = dir + "/mpli-stderr";
  process::Spec spec;
  spec.program = "/usr/bin/env";
  for (const char* name : {"MPLI_HUB", "MPLI_GATEWAY_URL", "MPLI_STATE_DIR", "MPLI_TOKEN"}) {
    if (!env.count(name)) {
      spec.args.emplace_back("-u");
      spec.args.emplace_back(name);
    }
  }
  spec.args.insert(spec.args.end(), {"/bin/sh", "-c", "exec \"$0\" \"$@\" 2>\"$MPLI_TEST_STDERR\"",
                                     testing::bin_dir() + "/mpli"});
  spec.args.insert(spec.args.end(), args.begin(), args.end());
  spec.environment = env;
  spec.environment["MPLI_TEST_STDERR"] = err_file;
  spec.working_directory = dir;
  auto completed = process::run(spec, 120s);
  REQUIRE(completed.is_ok());
  return {completed->exit_code, completed->output, read_text(err_file)};
}

std::string shown(const std::vector<std::string>& args) {
  std::string line = "mpli";
  for (const auto& a : args) line += " " + a;
  return line;
}

// A URL where nothing listens: a free port, not bound by anyone.
std::string unreachable_hub() {
  auto port = process::free_tcp_port();
  REQUIRE(port.is_ok());
  return "http://127.0.0.1:" + std::to_string(*port);
}

// NATS and a gateway, with PostgreSQL and discovery behind it when `with_discovery`; the token
// every mpli command of the test gets (see the top of the file).
class Hub {
 public:
  explicit Hub(bool with_discovery, const Env& extra = {}) : nats_(dir_.path()) {
    auto port = process::free_tcp_port();
    REQUIRE(port.is_ok());
    url_ = "http://127.0.0.1:" + std::to_string(*port);
    Env env = {{"MPLI_NATS_URL", nats_.url()}, {"MPLI_HTTP_PORT", std::to_string(*port)}};
    for (const auto& [k, v] : extra) env[k] = v;
    {
      std::string key = dir_.path() + "/hub-signing-key.pem";
      process::Spec genpkey;
      genpkey.program = "openssl";
      genpkey.args = {"genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256",
                      "-out",    key};
      auto made = process::run(genpkey, 30s);
      REQUIRE(made.is_ok());
      REQUIRE(made->exit_code == 0);
      REQUIRE(chmod(key.c_str(), 0600) == 0);
      env["MPLI_AUTH_SIGNING_KEY_FILE"] = key;
      auto created = run_mpli({"token", "create", "--role", "admin", "--key", key}, dir_.path());
      INFO(created.err);
      REQUIRE(created.exit_code == 0);
      std::string out = created.out;
      while (!out.empty() && out.back() == '\n') out.pop_back();
      token_ = out.substr(out.rfind('\n') + 1);  // the last line
      REQUIRE_FALSE(token_.empty());
    }
    if (with_discovery) {
      pg_ = std::make_unique<testing::TestPostgres>(dir_.path());
      env["MPLI_DATABASE_URL"] = pg_->dsn();
      discovery_ = std::make_unique<process::ChildProcess>(
          testing::start_binary("mpli-discovery", env, dir_.path()));
    }
    gateway_ = std::make_unique<process::ChildProcess>(
        testing::start_binary("mpli-gateway", env, dir_.path()));
    std::string probe = with_discovery ? "/v1/providers" : "/healthz";
    testing::wait_until([&] { return testing::http_get(url_ + probe, 5s).status == 200; }, 60s,
                        "the gateway answers " + probe);
  }

  const std::string& url() const { return url_; }
  const std::string& token() const { return token_; }
  const std::string& dir() const { return dir_.path(); }

  // mpli pointed at this hub through MPLI_HUB, with the token through MPLI_TOKEN.
  Outcome mpli(const std::vector<std::string>& args) const {
    Env env = {{"MPLI_HUB", url_}};
    if (!token_.empty()) env["MPLI_TOKEN"] = token_;
    Outcome outcome = run_mpli(args, dir_.path(), env);
    if (!token_.empty()) {
      CHECK_FALSE(contains(outcome.out, token_));
      CHECK_FALSE(contains(outcome.err, token_));
    }
    return outcome;
  }

 private:
  testing::TempDir dir_;
  testing::TestNats nats_;
  std::unique_ptr<testing::TestPostgres> pg_;
  std::string url_;
  std::string token_;
  std::unique_ptr<process::ChildProcess> discovery_;
  std::unique_ptr<process::ChildProcess> gateway_;
};

std::string example_path(const std::string& name) {
  return std::string(MPLI_SOURCE_DIR) + "/ontology/examples/" + name;
}

json parse_json(const Outcome& outcome) {
  INFO("stdout: " << outcome.out << "\nstderr: " << outcome.err);
  json parsed = json::parse(outcome.out, nullptr, false);
  REQUIRE_FALSE(parsed.is_discarded());
  return parsed;
}

}  // namespace

TEST_CASE("every command and subcommand answers --help with its usage on stdout and exit 0") {
  testing::TempDir dir;
  const std::vector<std::vector<std::string>> leaves = {
      {"providers", "list"},
      {"providers", "get"},
      {"providers", "register"},
      {"providers", "refresh"},
      {"providers", "delete"},
      {"offerings", "list"},
      {"offerings", "get"},
      {"credentials", "submit"},
      {"credentials", "verify"},
      {"credentials", "list"},
      {"credentials", "facts"},
      {"credentials", "issue"},
      {"anchors", "get"},
      {"anchors", "put"},
      {"resolve"},
      {"events"},
      {"kinds", "list"},
      {"kinds", "show"},
      {"kinds", "register"},
  };
  for (const auto& words : leaves) {
    std::string name;
    for (const auto& w : words) name += (name.empty() ? "" : " ") + w;
    std::vector<std::vector<std::string>> spellings = {words, words, words};
    spellings[0].emplace_back("--help");
    spellings[1].emplace_back("-h");
    spellings[2].insert(spellings[2].begin(), "help");  // mpli help providers list
    for (const auto& args : spellings) {
      INFO(shown(args));
      auto outcome = run_mpli(args, dir.path());
      CHECK(outcome.exit_code == 0);
      CHECK(outcome.err.empty());
      CHECK(outcome.out.rfind("usage: mpli " + name, 0) == 0);
      CHECK(contains(outcome.out, "--hub URL"));
      CHECK(contains(outcome.out, "--token-file FILE"));
      CHECK(contains(outcome.out, "example"));
      CHECK(contains(outcome.out, "exit status:"));
    }
  }
  // The groups list their commands; the alias answers like the command.
  for (std::vector<std::string> args :
       std::vector<std::vector<std::string>>{{"providers", "--help"},
                                             {"offerings", "-h"},
                                             {"credentials", "--help"},
                                             {"credential", "--help"},
                                             {"anchors", "help"},
                                             {"help", "providers"}}) {
    INFO(shown(args));
    auto outcome = run_mpli(args, dir.path());
    CHECK(outcome.exit_code == 0);
    CHECK(outcome.out.rfind("usage: mpli ", 0) == 0);
    CHECK(contains(outcome.out, "commands:\n"));
  }
  // And the commands that do not talk to a hub.
  for (std::vector<std::string> args :
       std::vector<std::vector<std::string>>{{"up", "--help"},
                                             {"down", "--help"},
                                             {"shacl", "--help"},
                                             {"token", "--help"},
                                             {"token", "create", "--help"},
                                             {"--help"}}) {
    INFO(shown(args));
    auto outcome = run_mpli(args, dir.path());
    CHECK(outcome.exit_code == 0);
    CHECK(contains(outcome.out, "usage: mpli"));
  }
  auto top = run_mpli({"--help"}, dir.path());
  for (const char* command : {"providers", "offerings", "kinds", "resolve", "credentials",
                              "anchors", "events", "token"}) {
    CHECK(contains(top.out, "  " + std::string(command) + " "));
  }
}

TEST_CASE("usage mistakes exit 2 naming the mistake, without asking any hub") {
  testing::TempDir dir;
  std::string hub = unreachable_hub();  // a command that wrongly went ahead would exit 3
  struct Case {
    std::vector<std::string> args;
    std::string says;
  };
  for (const auto& c : std::vector<Case>{
           {{"providers"}, "missing a command"},
           {{"providers", "frobnicate"}, "unknown command 'frobnicate'"},
           {{"providers", "get"}, "missing ID"},
           {{"providers", "get", "a", "b"}, "unexpected argument 'b'"},
           {{"providers", "list", "--bogus"}, "unknown option '--bogus'"},
           {{"providers", "list", "--limit", "0"}, "--limit must be a number from 1 to 500"},
           {{"providers", "list", "--hub"}, "--hub needs a value (URL)"},
           {{"providers", "register"}, "either --url URL or --file"},
           {{"providers", "register", "--url", "u", "--file", "f"}, "either --url URL or --file"},
           {{"providers", "register", "--file", dir.path() + "/absent.ttl"}, "cannot read"},
           {{"providers", "get", "x", "--token-file", dir.path() + "/absent"},
            "cannot read the token file " + dir.path() + "/absent"},
           {{"offerings", "get", "--turtle", "--json", "x"}, "exclude each other"},
           {{"offerings", "list", "--json=yes"}, "--json takes no value"},
           {{"credentials", "list"}, "--subject IRI is required"},
           {{"anchors", "get"}, ".mpli/admin-token"},  // admin: no token is a usage error
           {{"events", "--max", "none"}, "--max must be a positive number"},
           {{"events", "--timeout", "soon"}, "--timeout must be a duration"},
           {{"resolve"}, "missing MANIFEST.ttl"},
           {{"resolve", "--top", "0", "x.ttl"}, "--top must be a number from 1 to 100"},
       }) {
    std::vector<std::string> args = c.args;
    INFO(shown(args));
    auto outcome = run_mpli(args, dir.path(), {{"MPLI_HUB", hub}});
    INFO(outcome.err);
    CHECK(outcome.exit_code == 2);
    CHECK(outcome.out.empty());
    CHECK(contains(outcome.err, c.says));
  }
}

TEST_CASE("an unreachable hub is exit 3 naming the hub, from --hub or MPLI_HUB") {
  testing::TempDir dir;
  std::string hub = unreachable_hub();
  for (std::vector<std::string> args : std::vector<std::vector<std::string>>{
           {"providers", "list", "--hub", hub},
           {"offerings", "list", "--hub", hub},
           {"offerings", "get", "https://a.example/m#x", "--hub", hub},
           {"events", "--hub", hub, "--max", "1"}}) {
    INFO(shown(args));
    auto outcome = run_mpli(args, dir.path());
    CHECK(outcome.exit_code == 3);
    CHECK(contains(outcome.err, "cannot reach the hub at " + hub));
  }
  auto from_env = run_mpli({"providers", "list"}, dir.path(), {{"MPLI_HUB", hub + "/"}});
  CHECK(from_env.exit_code == 3);
  CHECK(contains(from_env.err, "cannot reach the hub at " + hub + " "));
}

TEST_CASE("a hub whose service does not answer is exit 3 with the gateway's problem") {
  Hub hub(false, {{"MPLI_REQUEST_TIMEOUT", "1s"}});  // no discovery behind the gateway
  auto outcome = hub.mpli({"providers", "list"});
  INFO(outcome.err);
  CHECK(outcome.exit_code == 3);
  CHECK((contains(outcome.err, "the hub failed: HTTP 503") ||
         contains(outcome.err, "the hub failed: HTTP 504")));
  CHECK(outcome.out.empty());
}

TEST_CASE("mpli providers and offerings against a real hub: tables, JSON, refusals") {
  Hub hub(true);

  // Register two providers from their manifests: a table of fields, or the JSON.
  auto hexacloud =
      hub.mpli({"providers", "register", "--file", example_path("provider-hexacloud-fr.ttl")});
  INFO(hexacloud.err);
  REQUIRE(hexacloud.exit_code == 0);
  CHECK(contains(hexacloud.out, "id:"));
  CHECK(contains(hexacloud.out, "hexacloud"));
  CHECK(contains(hexacloud.out, "(uploaded)"));
  auto polderstack = hub.mpli(
      {"providers", "register", "--json", "--file", example_path("provider-polderstack-nl.ttl")});
  REQUIRE(polderstack.exit_code == 0);
  CHECK(parse_json(polderstack)["id"] == "polderstack");

  SECTION("providers list and get") {
    auto table = hub.mpli({"providers", "list"});
    REQUIRE(table.exit_code == 0);
    CHECK(table.out.rfind("ID ", 0) == 0);
    CHECK(contains(table.out, "\nhexacloud "));
    CHECK(contains(table.out, "\npolderstack "));
    auto listed = parse_json(hub.mpli({"providers", "list", "--json"}));
    std::set<std::string> ids;
    for (const auto& p : listed["providers"]) ids.insert(p["id"].get<std::string>());
    CHECK(ids == std::set<std::string>{"hexacloud", "polderstack"});
    CHECK(listed.contains("next_cursor"));

    // A page at a time: the next cursor is offered; --all follows it.
    auto page = hub.mpli({"providers", "list", "--limit", "1"});
    REQUIRE(page.exit_code == 0);
    CHECK(std::count(page.out.begin(), page.out.end(), '\n') == 2);  // header and one row
    CHECK(contains(page.err, "more providers: add --cursor "));
    auto all = parse_json(hub.mpli({"providers", "list", "--limit", "1", "--all", "--json"}));
    CHECK(all["providers"].size() == 2);
    CHECK(all["next_cursor"].is_null());

    auto one = hub.mpli({"providers", "get", "hexacloud"});
    REQUIRE(one.exit_code == 0);
    CHECK(contains(one.out, "country:"));
    CHECK(contains(one.out, "FR"));
    CHECK(parse_json(hub.mpli({"providers", "get", "hexacloud", "--json"}))["country"] == "FR");

    auto missing = hub.mpli({"providers", "get", "no-such-provider"});
    CHECK(missing.exit_code == 1);
    CHECK(missing.out.empty());
    CHECK(contains(missing.err, "mpli providers get: refused: HTTP 404"));
  }

  SECTION("offerings list, filters and get") {
    auto all = parse_json(hub.mpli({"offerings", "list", "--all", "--json"}));
    REQUIRE(all["offerings"].is_array());
    REQUIRE(all["offerings"].size() >= 2);
    std::set<std::string> providers;
    for (const auto& o : all["offerings"]) providers.insert(o["provider_id"].get<std::string>());
    CHECK(providers == std::set<std::string>{"hexacloud", "polderstack"});

    auto french = parse_json(hub.mpli({"offerings", "list", "--country", "FR", "--json"}));
    REQUIRE_FALSE(french["offerings"].empty());
    for (const auto& o : french["offerings"]) CHECK(o["provider_id"] == "hexacloud");
    auto by_provider =
        parse_json(hub.mpli({"offerings", "list", "--provider", "polderstack", "--json"}));
    REQUIRE_FALSE(by_provider["offerings"].empty());
    for (const auto& o : by_provider["offerings"]) CHECK(o["provider_id"] == "polderstack");

    // A value with a space is percent-encoded on the way.
    auto text = parse_json(hub.mpli({"offerings", "list", "--q", "PostgreSQL S", "--json"}));
    REQUIRE_FALSE(text["offerings"].empty());
    for (const auto& o : text["offerings"]) {
      CHECK(contains(o["name"].get<std::string>(), "PostgreSQL S"));
    }

    // The table: one row per offering, the IRI whole in the last column.
    auto table = hub.mpli({"offerings", "list", "--provider", "polderstack"});
    REQUIRE(table.exit_code == 0);
    CHECK(table.out.rfind("NAME ", 0) == 0);
    for (const auto& o : by_provider["offerings"]) {
      CHECK(contains(table.out, " " + o["id"].get<std::string>() + "\n"));
    }

    std::string iri = by_provider["offerings"][0]["id"];
    auto fields = hub.mpli({"offerings", "get", iri});
    REQUIRE(fields.exit_code == 0);
    CHECK(contains(fields.out, "id:"));
    CHECK(contains(fields.out, iri));
    CHECK(contains(fields.out, "polderstack"));
    CHECK(parse_json(hub.mpli({"offerings", "get", iri, "--json"}))["id"] == iri);
    auto turtle = hub.mpli({"offerings", "get", iri, "--turtle"});
    REQUIRE(turtle.exit_code == 0);
    CHECK(contains(turtle.out, "mpli"));

    auto missing = hub.mpli({"offerings", "get", "https://nowhere.example/m.ttl#x"});
    CHECK(missing.exit_code == 1);
    CHECK(contains(missing.err, "refused: HTTP 404"));
  }

  SECTION("kinds list and show and register and offerings by a kind's property") {
    auto kinds = parse_json(hub.mpli({"kinds", "list", "--json"}));
    std::set<std::string> names;
    for (const auto& k : kinds["kinds"]) names.insert(k["name"].get<std::string>());
    CHECK(names.count("GpuInstance") == 1);
    CHECK(names.count("ManagedPostgreSQL") == 1);
    auto table = hub.mpli({"kinds", "list"});
    REQUIRE(table.exit_code == 0);
    CHECK(contains(table.out, "gpuCount*"));
    auto shown = hub.mpli({"kinds", "show", "GpuInstance"});
    REQUIRE(shown.exit_code == 0);
    CHECK(contains(shown.out, "gpuModel"));
    CHECK(contains(shown.out, "required"));
    CHECK(contains(hub.mpli({"kinds", "show", "--turtle", "GpuInstance"}).out, "mpli:kindShape"));

    // Polderstack's two L40S (ontology/examples/provider-polderstack-nl.ttl) and nothing else.
    auto pairs = parse_json(hub.mpli(
        {"offerings", "list", "--kind", "GpuInstance", "--property", "min_gpuCount=2", "--json"}));
    REQUIRE(pairs["offerings"].size() == 1);
    CHECK(pairs["offerings"][0]["provider_id"] == "polderstack");
    CHECK(pairs["offerings"][0]["properties"]["gpuCount"] == "2");
    CHECK(hub.mpli({"offerings", "list", "--property", "gpuCount"}).exit_code == 2);

    auto again = hub.mpli(
        {"kinds", "register", std::string(MPLI_SOURCE_DIR) + "/ontology/kinds/gpu-instance.ttl"});
    INFO(again.err);
    CHECK(again.exit_code == 0);
    CHECK(contains(again.out, "kind GpuInstance version 1: unchanged"));
  }

  SECTION("a refusal names the parameter, the reason and the position; exit 1") {
    auto bad_filter = hub.mpli({"offerings", "list", "--min-vcpu", "lots"});
    INFO(bad_filter.err);
    CHECK(bad_filter.exit_code == 1);
    CHECK(bad_filter.out.empty());
    CHECK(contains(bad_filter.err, "mpli offerings list: refused: HTTP 400 Bad Request"));
    CHECK(contains(bad_filter.err, "[min_vcpu]"));

    std::string broken =
        write_file(hub.dir() + "/broken.ttl",
                   "@prefix mpli: <https://w3id.org/mpli#> .\n<#p> a mpli:Provider ;\n"
                   "    mpli:providerId \"broken .\n");
    auto syntax = hub.mpli({"providers", "register", "--file", broken});
    INFO(syntax.err);
    CHECK(syntax.exit_code == 1);
    CHECK(contains(syntax.err, "refused: HTTP 400"));
    CHECK(contains(syntax.err, "manifest_syntax"));
    CHECK(contains(syntax.err, "at line "));
  }

  SECTION("providers delete removes it; the next get is a 404") {
    auto deleted = hub.mpli({"providers", "delete", "polderstack"});
    INFO(deleted.err);
    REQUIRE(deleted.exit_code == 0);
    CHECK(contains(deleted.out, "deleted provider polderstack"));
    CHECK(hub.mpli({"providers", "get", "polderstack"}).exit_code == 1);
    auto left = parse_json(hub.mpli({"providers", "list", "--json"}));
    CHECK(left["providers"].size() == 1);
  }

  SECTION("events: the registrations as one line each, resumed from the start") {
    auto events = hub.mpli({"events", "--last-event-id", "0", "--max", "2", "--timeout", "60s",
                            "--type", "discovery.v1.", "--json"});
    INFO(events.err);
    REQUIRE(events.exit_code == 0);
    std::istringstream lines(events.out);
    std::string line;
    int count = 0;
    while (std::getline(lines, line)) {
      json event = json::parse(line, nullptr, false);
      REQUIRE(event.is_object());
      CHECK(event["event"].get<std::string>().rfind("discovery.v1.", 0) == 0);
      CHECK_FALSE(event["id"].get<std::string>().empty());
      ++count;
    }
    CHECK(count == 2);
    auto text = hub.mpli({"events", "--last-event-id", "0", "--max", "1", "--timeout", "60s"});
    REQUIRE(text.exit_code == 0);
    CHECK(std::count(text.out.begin(), text.out.end(), '\n') == 1);
  }
}
