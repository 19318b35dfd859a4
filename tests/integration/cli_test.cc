// The built `mpli` binary's command line: every command answers -h/--help with its usage on
// stdout and exit 0; mistakes exit 2 with a message naming what was wrong.
#include <algorithm>
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include "libs/process/child_process.h"
#include "libs/testing/environment.h"

using namespace mpli;
using namespace std::chrono_literals;

namespace {
struct Outcome {
  int exit_code = -1;
  std::string out;   // stdout only
  std::string both;  // stdout and stderr
};

// Runs build/bin/mpli with `args` twice: once to see stdout alone, once for everything. In
// an empty directory, so that a command that wrongly starts work cannot touch the checkout.
Outcome run_mpli(const std::vector<std::string>& args, std::string working_directory = "") {
  testing::TempDir scratch;
  if (working_directory.empty()) working_directory = scratch.path();
  process::Spec spec;
  spec.program = "/bin/sh";
  spec.args = {"-c", "exec \"$0\" \"$@\" 2>/dev/null", testing::bin_dir() + "/mpli"};
  spec.args.insert(spec.args.end(), args.begin(), args.end());
  spec.working_directory = working_directory;
  auto stdout_only = process::run(spec, 30s);
  REQUIRE(stdout_only.is_ok());

  process::Spec direct;
  direct.program = testing::bin_dir() + "/mpli";
  direct.args = args;
  direct.working_directory = working_directory;
  auto everything = process::run(direct, 30s);
  REQUIRE(everything.is_ok());
  CHECK(everything->exit_code == stdout_only->exit_code);
  return {everything->exit_code, stdout_only->output, everything->output};
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}
}  // namespace

TEST_CASE("mpli -h, --help and help print the command list on stdout and exit 0") {
  for (const char* flag : {"-h", "--help", "help"}) {
    INFO("mpli " << flag);
    auto outcome = run_mpli({flag});
    CHECK(outcome.exit_code == 0);
    CHECK(contains(outcome.out, "usage: mpli <command>"));
    for (const char* command : {"up", "down", "shacl", "manifest"})
      CHECK(contains(outcome.out, command));
  }
}

TEST_CASE("mpli without a command prints the usage on stderr and exits 2") {
  auto outcome = run_mpli({});
  CHECK(outcome.exit_code == 2);
  CHECK(outcome.out.empty());
  CHECK(contains(outcome.both, "usage: mpli <command>"));
}

TEST_CASE("mpli up and mpli down answer -h and --help with their usage") {
  testing::TempDir dir;
  for (std::vector<std::string> args : std::vector<std::vector<std::string>>{
           {"up", "--help"}, {"up", "-h"}, {"help", "up"}, {"up", "--port", "9090", "--help"}}) {
    INFO("mpli " << args[0] << " " << args[1]);
    // In an empty directory: asking for help must not create a state directory.
    auto outcome = run_mpli(args, dir.path());
    CHECK(outcome.exit_code == 0);
    CHECK(contains(outcome.out, "usage: mpli up"));
    CHECK_FALSE(std::filesystem::exists(dir.path() + "/.mpli"));
  }
  for (std::vector<std::string> args : std::vector<std::vector<std::string>>{
           {"down", "--help"}, {"down", "-h"}, {"help", "down"}}) {
    INFO("mpli " << args[0] << " " << args[1]);
    auto outcome = run_mpli(args, dir.path());
    CHECK(outcome.exit_code == 0);
    CHECK(contains(outcome.out, "usage: mpli down"));
    CHECK(contains(outcome.out, "--state-dir DIR"));
  }
}

TEST_CASE("mpli up --help lists every option with its default, and so does the README") {
  auto outcome = run_mpli({"up", "--help"});
  REQUIRE(outcome.exit_code == 0);
  const std::vector<std::pair<std::string, std::string>> expected = {
      {"--state-dir DIR", ".mpli"},
      {"--port PORT", "8080"},
      {"--nats-port PORT", "14222"},
      {"--postgres-port PORT", "55432"},
      {"--demo-dir DIR", "ontology/examples"},
      {"--restart-budget N", "5"},
      {"--healthy-after DURATION", "60s"},
      {"--cluster", "off"},
  };
  auto source_dir = std::filesystem::path(MPLI_SOURCE_DIR);
  std::string readme = read_file((source_dir / "README.md").string());
  auto options_at = readme.find("Options");
  REQUIRE(options_at != std::string::npos);
  std::string readme_options =
      readme.substr(options_at, readme.find("\n\n", options_at) - options_at);
  // The paragraph wraps wherever it likes: compare with single spaces.
  std::replace(readme_options.begin(), readme_options.end(), '\n', ' ');
  for (const auto& [option, default_value] : expected) {
    INFO(option << " in\n" << outcome.out << "\nREADME: " << readme_options);
    auto at = outcome.out.find("  " + option + " ");
    REQUIRE(at != std::string::npos);
    // The default is on the option's second line, before the next option starts.
    auto next_option = outcome.out.find("\n  -", at + 1);
    CHECK(contains(outcome.out.substr(at, next_option - at), "default: " + default_value));
    CHECK(contains(readme_options, "`" + option + "` (default `" + default_value + "`"));
  }

  // No option in the help that the list above (and so the README) misses.
  std::set<std::string> in_help;
  std::regex option_pattern("\n  (--[a-z-]+) ");
  for (std::sregex_iterator it(outcome.out.begin(), outcome.out.end(), option_pattern), end;
       it != end; ++it) {
    in_help.insert((*it)[1]);
  }
  CHECK(in_help.size() == expected.size());
}

TEST_CASE("unknown options and missing values exit 2 with a message naming the option") {
  struct Case {
    std::vector<std::string> args;
    std::string named;
  };
  for (const auto& c : std::vector<Case>{{{"up", "--bogus"}, "'--bogus'"},
                                         {{"up", "--port"}, "--port needs a value"},
                                         {{"up", "--port", "http"}, "--port"},
                                         {{"up", "--restart-budget", "many"}, "--restart-budget"},
                                         {{"down", "--bogus"}, "'--bogus'"},
                                         {{"down", "--state-dir"}, "--state-dir needs a value"},
                                         {{"--bogus"}, "'--bogus'"},
                                         {{"bogus"}, "'bogus'"}}) {
    INFO("mpli " << c.args[0] << (c.args.size() > 1 ? " " + c.args[1] : ""));
    auto outcome = run_mpli(c.args);
    CHECK(outcome.exit_code == 2);
    CHECK(outcome.out.empty());
    CHECK(contains(outcome.both, c.named));
  }
}
