#include "tools/mpli/federation_options.h"

#include <catch2/catch.hpp>
#include <map>

using namespace mpli;
using namespace mpli::cli;
using namespace std::chrono_literals;

namespace {
config::Environment environment(std::map<std::string, std::string> variables = {}) {
  return [variables](const std::string& name) -> std::optional<std::string> {
    auto it = variables.find(name);
    if (it == variables.end()) return std::nullopt;
    return it->second;
  };
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}
}  // namespace

TEST_CASE("mpli up without options runs with the documented defaults") {
  auto parsed = parse_up_command_line({}, environment());
  REQUIRE(parsed.outcome == CommandLineOutcome::kRun);
  CHECK(parsed.options.state_dir == ".mpli");
  CHECK(parsed.options.http_port == 8080);
  CHECK(parsed.options.nats_port == 14222);
  CHECK(parsed.options.postgres_port == 55432);
  CHECK(parsed.options.demo_dir.empty());
  CHECK(parsed.options.restart.budget == 5);
  CHECK(parsed.options.restart.healthy_after == 60s);
  CHECK_FALSE(parsed.options.cluster);
}

TEST_CASE("the switch --cluster: alone it is on, =false turns it off, so does the environment") {
  auto on = parse_up_command_line({"--cluster", "--port", "9090"}, environment());
  REQUIRE(on.outcome == CommandLineOutcome::kRun);
  CHECK(on.options.cluster);
  CHECK(on.options.http_port == 9090);  // the next argument is not taken as its value
  auto off = parse_up_command_line({"--cluster=false"}, environment({{"MPLI_CLUSTER", "true"}}));
  REQUIRE(off.outcome == CommandLineOutcome::kRun);
  CHECK_FALSE(off.options.cluster);
  CHECK(parse_up_command_line({}, environment({{"MPLI_CLUSTER", "yes"}})).options.cluster);
  auto bad = parse_up_command_line({"--cluster=maybe"}, environment());
  CHECK(bad.outcome == CommandLineOutcome::kError);
  CHECK(contains(bad.error, "--cluster: must be true or false, got 'maybe'"));
}

TEST_CASE("-h and --help ask for help wherever they stand") {
  for (std::vector<std::string> args :
       std::vector<std::vector<std::string>>{{"--help"},
                                             {"-h"},
                                             {"--port", "9090", "--help"},
                                             {"--port", "--help"},
                                             {"--bogus", "-h"}}) {
    INFO(args.size() << " arguments, first " << args.front());
    CHECK(parse_up_command_line(args, environment()).outcome == CommandLineOutcome::kHelp);
    CHECK(parse_down_command_line(args, environment()).outcome == CommandLineOutcome::kHelp);
  }
}

TEST_CASE("every option is read, in both --flag value and --flag=value forms") {
  auto parsed = parse_up_command_line(
      {"--state-dir", "/srv/mpli", "--port=9090", "--nats-port", "4333", "--postgres-port", "5444",
       "--demo-dir", "none", "--restart-budget", "2", "--healthy-after", "1500ms"},
      environment());
  REQUIRE(parsed.outcome == CommandLineOutcome::kRun);
  CHECK(parsed.options.state_dir == "/srv/mpli");
  CHECK(parsed.options.http_port == 9090);
  CHECK(parsed.options.nats_port == 4333);
  CHECK(parsed.options.postgres_port == 5444);
  CHECK(parsed.options.demo_dir == "none");
  CHECK(parsed.options.restart.budget == 2);
  CHECK(parsed.options.restart.healthy_after == 1500ms);
}

TEST_CASE("environment variables fill in what the command line leaves out") {
  auto env = environment({{"MPLI_STATE_DIR", "/var/mpli"},
                          {"MPLI_HTTP_PORT", "9000"},
                          {"MPLI_RESTART_BUDGET", "7"},
                          {"MPLI_RESTART_HEALTHY_AFTER", "2s"}});
  auto from_env = parse_up_command_line({}, env);
  REQUIRE(from_env.outcome == CommandLineOutcome::kRun);
  CHECK(from_env.options.state_dir == "/var/mpli");
  CHECK(from_env.options.http_port == 9000);
  CHECK(from_env.options.restart.budget == 7);
  CHECK(from_env.options.restart.healthy_after == 2s);

  auto overridden = parse_up_command_line({"--port", "9100", "--state-dir", "here"}, env);
  REQUIRE(overridden.outcome == CommandLineOutcome::kRun);
  CHECK(overridden.options.http_port == 9100);
  CHECK(overridden.options.state_dir == "here");
  CHECK(parse_down_command_line({}, env).options.state_dir == "/var/mpli");
}

TEST_CASE("mistakes are errors that name the option or variable at fault") {
  auto check_error = [](const ParsedCommandLine<UpOptions>& parsed, const std::string& part) {
    CHECK(parsed.outcome == CommandLineOutcome::kError);
    INFO("error: " << parsed.error);
    CHECK(contains(parsed.error, part));
  };
  check_error(parse_up_command_line({"--bogus"}, environment()), "'--bogus'");
  check_error(parse_up_command_line({"--bogus=1"}, environment()), "'--bogus'");
  check_error(parse_up_command_line({"stray"}, environment()), "'stray'");
  check_error(parse_up_command_line({"--port"}, environment()), "--port needs a value");
  check_error(parse_up_command_line({"--port", "http"}, environment()), "--port");
  check_error(parse_up_command_line({"--nats-port", "70000"}, environment()), "--nats-port");
  check_error(parse_up_command_line({"--restart-budget", "-1"}, environment()), "--restart-budget");
  check_error(parse_up_command_line({"--healthy-after", "soon"}, environment()), "--healthy-after");
  check_error(parse_up_command_line({"--healthy-after", "0s"}, environment()), "--healthy-after");
  check_error(parse_up_command_line({}, environment({{"MPLI_HTTP_PORT", "x"}})), "MPLI_HTTP_PORT");

  auto down = parse_down_command_line({"--port", "1"}, environment());
  CHECK(down.outcome == CommandLineOutcome::kError);
  CHECK(contains(down.error, "'--port'"));
  CHECK(parse_down_command_line({"--state-dir"}, environment()).outcome ==
        CommandLineOutcome::kError);
}

TEST_CASE("the usage lists every option with its default") {
  std::string up = up_usage();
  for (const char* part :
       {"usage: mpli up", "--state-dir DIR", "default: .mpli; environment: MPLI_STATE_DIR",
        "--port PORT", "default: 8080; environment: MPLI_HTTP_PORT", "--nats-port PORT",
        "default: 14222", "--postgres-port PORT", "default: 55432", "--demo-dir DIR",
        "--restart-budget N", "default: 5; environment: MPLI_RESTART_BUDGET",
        "--healthy-after DURATION", "default: 60s; environment: MPLI_RESTART_HEALTHY_AFTER",
        "-h, --help", "after 500ms", "up to 30s", "  --cluster ",
        "default: off; environment: MPLI_CLUSTER"}) {
    INFO(up);
    CHECK(contains(up, part));
  }
  std::string down = down_usage();
  CHECK(contains(down, "usage: mpli down"));
  CHECK(contains(down, "default: .mpli; environment: MPLI_STATE_DIR"));
  CHECK(contains(down, "-h, --help"));
}

TEST_CASE("durations are shown in the shortest form the settings read back") {
  CHECK(format_duration(500ms) == "500ms");
  CHECK(format_duration(1500ms) == "1500ms");
  CHECK(format_duration(30s) == "30s");
  CHECK(format_duration(60s) == "60s");
  CHECK(format_duration(5min) == "5m");
  CHECK(format_duration(2h) == "2h");
  for (auto d : {500ms, 1500ms, std::chrono::milliseconds(30s), std::chrono::milliseconds(5min)}) {
    CHECK(config::parse_duration(format_duration(d)) == d);
  }
}
