// A command with subcommands (`mpli providers list|get|...`): picks the subcommand, parses its
// options with its CommandSpec, answers --help at either level, and reports usage mistakes
// (exit kExitUsage) the same way for every command.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "tools/mpli/options.h"

namespace mpli::cli {

struct Subcommand {
  CommandSpec spec;  // spec.name is "<group> <subcommand>"
  std::function<int(const ParsedArguments&)> run;
};

// argv[0] is the group's name as typed ("credential" for the alias of "credentials"); argv[1]
// the subcommand.
int run_group(const std::string& group, const std::string& summary,
              const std::vector<Subcommand>& subcommands, int argc, char** argv,
              const std::string& footer);

// A command without subcommands (`mpli resolve`, `mpli events`): argv[0] is its name.
int run_single(const CommandSpec& spec, const std::function<int(const ParsedArguments&)>& run,
               int argc, char** argv);

}  // namespace mpli::cli
