// The command lines of `mpli up` and `mpli down`, parsed without side effects. The usage text
// is generated from the same option table, so every option is listed with its default.
#pragma once

#include <string>
#include <vector>

#include "libs/core/config.h"
#include "tools/mpli/restart_policy.h"

namespace mpli::cli {

struct UpOptions {
  std::string state_dir = ".mpli";
  int http_port = 8080;
  int nats_port = 14222;  // not 4222: a system nats-server may own that
  int postgres_port = 55432;
  std::string demo_dir;  // "" = <repo>/ontology/examples next to the build, "none" = off
  bool cluster = false;  // three NATS nodes, two instances of the stateless services
  RestartSettings restart;
};

struct DownOptions {
  std::string state_dir = ".mpli";
};

enum class CommandLineOutcome { kRun, kHelp, kError };

template <typename Options>
struct ParsedCommandLine {
  CommandLineOutcome outcome = CommandLineOutcome::kRun;
  Options options;
  std::string error;  // kError: names the option or variable at fault
};

// `args` excludes the command name. Environment variables (MPLI_STATE_DIR, ...) fill in the
// options the command line does not give.
ParsedCommandLine<UpOptions> parse_up_command_line(const std::vector<std::string>& args,
                                                   const config::Environment& environment);
ParsedCommandLine<DownOptions> parse_down_command_line(const std::vector<std::string>& args,
                                                       const config::Environment& environment);

std::string up_usage();
std::string down_usage();

// "500ms", "30s", "2m", "1h": the shortest form config::parse_duration reads back.
std::string format_duration(std::chrono::milliseconds duration);

}  // namespace mpli::cli
