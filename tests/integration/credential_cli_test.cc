// `mpli credential` and `mpli anchors` without a trust service: usage, argument and file errors
// exit 2 naming what is wrong; a refusal exits 1, an unreachable gateway or one whose service does
// not answer exits 3, each with a clear message; the admin token is sent but never printed. A
// real gateway answers where one is needed.
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <fstream>

#include "libs/process/child_process.h"
#include "libs/testing/environment.h"

using namespace mpli;
using namespace std::chrono_literals;

namespace {

constexpr const char* kAdminToken = "9a8b7c6d5e4f30211203948576afbecd";

struct Outcome {
  int exit_code = -1;
  std::string output;  // stdout and stderr
};

// build/bin/mpli with `args`, in an empty directory, with MPLI_STATE_DIR, MPLI_HUB,
// MPLI_GATEWAY_URL and MPLI_TOKEN unset so a developer's own hub cannot answer.
Outcome run_mpli(const std::vector<std::string>& args, const std::string& working_directory) {
  process::Spec spec;
  spec.program = "/usr/bin/env";
  spec.args = {"-u",
               "MPLI_STATE_DIR",
               "-u",
               "MPLI_GATEWAY_URL",
               "-u",
               "MPLI_HUB",
               "-u",
               "MPLI_TOKEN",
               testing::bin_dir() + "/mpli"};
  spec.args.insert(spec.args.end(), args.begin(), args.end());
  spec.working_directory = working_directory;
  auto completed = process::run(spec, 60s);
  REQUIRE(completed.is_ok());
  return {completed->exit_code, completed->output};
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

std::string write_file(const std::string& path, const std::string& content, mode_t mode = 0600) {
  std::ofstream(path) << content;
  REQUIRE(chmod(path.c_str(), mode) == 0);
  return path;
}

// A URL where nothing listens: a free port, not bound by anyone.
std::string unreachable_gateway() {
  auto port = process::free_tcp_port();
  REQUIRE(port.is_ok());
  return "http://127.0.0.1:" + std::to_string(*port);
}

}  // namespace

TEST_CASE("mpli --help lists credential and anchors, and each answers --help with its usage") {
  testing::TempDir dir;
  auto top = run_mpli({"--help"}, dir.path());
  CHECK(top.exit_code == 0);
  CHECK(contains(top.output, "credential"));
  CHECK(contains(top.output, "anchors"));
  for (std::vector<std::string> args : std::vector<std::vector<std::string>>{
           {"credential", "--help"}, {"help", "credential"}, {"credential", "verify", "-h"}}) {
    auto outcome = run_mpli(args, dir.path());
    CHECK(outcome.exit_code == 0);
    CHECK(contains(outcome.output, "usage: mpli credentials"));
  }
  auto anchors = run_mpli({"anchors", "--help"}, dir.path());
  CHECK(anchors.exit_code == 0);
  CHECK(contains(anchors.output, "usage: mpli anchors"));
  CHECK(contains(anchors.output, "get"));
}

TEST_CASE("mpli credential and anchors: usage mistakes exit 2 naming the mistake") {
  testing::TempDir dir;
  std::string token = write_file(dir.path() + "/token.jwt", "eyJ.a.b\n");
  struct Case {
    std::vector<std::string> args;
    std::string says;
  };
  for (const auto& c : std::vector<Case>{
           {{"credential"}, "missing a command"},
           {{"credential", "frobnicate"}, "unknown command 'frobnicate'"},
           {{"credential", "verify"}, "missing FILE"},
           {{"credential", "verify", token, token}, "unexpected argument"},
           {{"credential", "verify", "--bogus", "x", token}, "unknown option '--bogus'"},
           {{"credential", "verify", token, "--gateway"}, "--gateway needs a value"},
           {{"credential", "verify", dir.path() + "/absent.jwt"}, "cannot read"},
           {{"credential", "submit", "--valid-until", "2027-01-01T00:00:00Z", token},
            "unknown option '--valid-until'"},
           {{"credential", "issue", "--nonce", "n", token}, "unknown option '--nonce'"},
           {{"credential", "issue", token}, "is not a JSON object"},
           {{"anchors"}, "missing a command"},
           {{"anchors", "put"}, "missing FILE.json"},
           {{"anchors", "get", "--expected-version", "3"}, "unknown option '--expected-version'"},
       }) {
    std::string shown;
    for (const auto& a : c.args) shown += a + " ";
    INFO("mpli " << shown);
    auto outcome = run_mpli(c.args, dir.path());
    INFO(outcome.output);
    CHECK(outcome.exit_code == 2);
    CHECK(contains(outcome.output, c.says));
  }
}

TEST_CASE("admin commands name a missing admin token file and exit 2") {
  testing::TempDir dir;
  std::string credential = write_file(dir.path() + "/c.json", R"({"credentialSubject": {}})");
  auto issue = run_mpli({"credential", "issue", "--gateway", unreachable_gateway(),
                         "--admin-token-file", dir.path() + "/nope", credential},
                        dir.path());
  CHECK(issue.exit_code == 2);
  CHECK(contains(issue.output, dir.path() + "/nope"));
  // Without --admin-token-file: the default where `mpli up` writes it, named in the message.
  auto get = run_mpli({"anchors", "get", "--gateway", unreachable_gateway()}, dir.path());
  CHECK(get.exit_code == 2);
  CHECK(contains(get.output, ".mpli/admin-token"));
}

TEST_CASE("an unreachable gateway is a clear message and exit 3") {
  testing::TempDir dir;
  std::string token = write_file(dir.path() + "/token.jwt", "eyJ.a.b\n");
  std::string admin = write_file(dir.path() + "/admin-token", kAdminToken);
  std::string anchors = write_file(dir.path() + "/anchors.json", R"({"anchors": []})");
  std::string gateway = unreachable_gateway();
  for (std::vector<std::string> args : std::vector<std::vector<std::string>>{
           {"credential", "verify", "--gateway", gateway, token},
           {"credential", "submit", "--gateway", gateway, token},
           {"anchors", "get", "--gateway", gateway, "--admin-token-file", admin},
           {"anchors", "put", "--gateway", gateway, "--admin-token-file", admin, anchors}}) {
    INFO("mpli " << args[0] << " " << args[1]);
    auto outcome = run_mpli(args, dir.path());
    INFO(outcome.output);
    CHECK(outcome.exit_code == 3);
    CHECK(contains(outcome.output, "cannot reach the hub at " + gateway));
    CHECK_FALSE(contains(outcome.output, kAdminToken));
  }
}

TEST_CASE("a gateway's refusal is printed with its status, reason and detail, exit 1") {
  testing::TempDir dir;
  testing::TestNats nats(dir.path());
  auto port = process::free_tcp_port();
  REQUIRE(port.is_ok());
  std::string admin = write_file(dir.path() + "/admin-token", kAdminToken);
  std::string wrong = write_file(dir.path() + "/wrong-token", "00000000000000000000000000000000");
  process::ChildProcess gateway = testing::start_binary("mpli-gateway",
                                                        {{"MPLI_NATS_URL", nats.url()},
                                                         {"MPLI_HTTP_PORT", std::to_string(*port)},
                                                         {"MPLI_REQUEST_TIMEOUT", "2s"},
                                                         {"MPLI_REQUEST_LONG_TIMEOUT", "3s"},
                                                         {"MPLI_ADMIN_TOKEN_FILE", admin}},
                                                        dir.path());
  std::string url = "http://127.0.0.1:" + std::to_string(*port);
  testing::wait_until([&] { return testing::http_get(url + "/healthz", 2s).status == 200; }, 60s,
                      "the gateway answers /healthz");

  auto not_admin =
      run_mpli({"anchors", "get", "--gateway", url, "--admin-token-file", wrong}, dir.path());
  INFO(not_admin.output);
  CHECK(not_admin.exit_code == 1);
  CHECK(contains(not_admin.output, "refused: HTTP 403 Forbidden (not_admin)"));

  // With the right token the request reaches the bus, where no trust service answers.
  auto no_trust =
      run_mpli({"anchors", "get", "--gateway", url, "--admin-token-file", admin}, dir.path());
  INFO(no_trust.output);
  CHECK(no_trust.exit_code == 3);
  CHECK((contains(no_trust.output, "the hub failed: HTTP 503") ||
         contains(no_trust.output, "the hub failed: HTTP 504")));
  CHECK_FALSE(contains(no_trust.output, kAdminToken));

  std::string empty_request = write_file(dir.path() + "/empty.json", R"({"nonce": "n"})");
  auto bad = run_mpli({"credential", "verify", "--gateway", url, empty_request}, dir.path());
  INFO(bad.output);
  CHECK(bad.exit_code == 1);
  CHECK(contains(bad.output, "HTTP 400 Bad Request [credential]"));
}
