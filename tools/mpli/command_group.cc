#include "tools/mpli/command_group.h"

#include <iostream>

#include "tools/mpli/hub.h"

namespace mpli::cli {
namespace {

int parse_and_run(const CommandSpec& spec, const std::function<int(const ParsedArguments&)>& run,
                  const std::vector<std::string>& args) {
  ParsedArguments arguments = parse_arguments(spec, args);
  if (arguments.help) {
    std::cout << render_help(spec);
    return kExitOk;
  }
  if (!arguments.ok()) {
    std::cerr << "mpli " << spec.name << ": " << arguments.error << "\nRun `mpli " << spec.name
              << " --help` for the options.\n";
    return kExitUsage;
  }
  return run(arguments);
}

}  // namespace

int run_group(const std::string& group, const std::string& summary,
              const std::vector<Subcommand>& subcommands, int argc, char** argv,
              const std::string& footer) {
  std::string help = render_group_help(
      group, summary,
      [&] {
        std::vector<CommandSpec> specs;
        specs.reserve(subcommands.size());
        for (const auto& s : subcommands) specs.push_back(s.spec);
        return specs;
      }(),
      footer);
  if (argc < 2) {
    std::cerr << "mpli " << group << ": missing a command\n" << help;
    return kExitUsage;
  }
  std::string word = argv[1];
  if (is_help_flag(word) || word == "help") {
    // `mpli providers help get` is `mpli providers get --help`.
    if (word == "help" && argc >= 3) {
      for (const auto& sub : subcommands) {
        if (sub.spec.name == group + " " + argv[2]) {
          std::cout << render_help(sub.spec);
          return kExitOk;
        }
      }
    }
    std::cout << help;
    return kExitOk;
  }
  for (const auto& sub : subcommands) {
    if (sub.spec.name == group + " " + word) {
      return parse_and_run(sub.spec, sub.run, std::vector<std::string>(argv + 2, argv + argc));
    }
  }
  std::cerr << "mpli " << group << ": "
            << (word.rfind('-', 0) == 0 ? "missing a command before '" + word + "'"
                                        : "unknown command '" + word + "'")
            << "\n"
            << help;
  return kExitUsage;
}

int run_single(const CommandSpec& spec, const std::function<int(const ParsedArguments&)>& run,
               int argc, char** argv) {
  return parse_and_run(spec, run, std::vector<std::string>(argv + 1, argv + argc));
}

}  // namespace mpli::cli
