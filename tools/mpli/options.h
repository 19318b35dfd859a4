// One small option parser for every hub command of `mpli` (providers, offerings, resolve,
// credentials, anchors, events): a command describes its options and operands once, and the
// same description parses the command line and prints `--help`. Pure: no I/O.
#pragma once

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace mpli::cli {

struct OptionSpec {
  std::string name;        // "--hub"
  std::string value_name;  // "URL"; "" for a flag such as --json
  std::string description;
  // Older spellings still accepted, never shown in the help ("--gateway" for "--hub").
  std::vector<std::string> aliases = {};
  bool repeatable = false;  // --credential A --credential B
};

struct CommandSpec {
  std::string name;      // "providers get"
  std::string operands;  // for the usage line: "ID", "[MANIFEST.ttl]"
  std::string summary;   // what it does, one or more lines
  std::vector<OptionSpec> options;
  size_t min_operands = 0;
  size_t max_operands = 0;
  std::vector<std::string> examples = {};
  std::string footer = "";  // e.g. the exit codes
};

struct ParsedArguments {
  bool help = false;  // -h or --help anywhere: nothing else counts
  std::string error;  // "" when the command line is good; else names the option or operand
  std::vector<std::string> operands;
  std::map<std::string, std::vector<std::string>> values;  // by OptionSpec::name; flags: {""}

  bool ok() const { return error.empty(); }
  bool has(const std::string& name) const { return values.count(name) != 0; }
  // The option's value (the last one of a repeatable option); nullopt when not given.
  std::optional<std::string> value(const std::string& name) const;
  // Every value of a repeatable option, in order.
  std::vector<std::string> all(const std::string& name) const;
};

// `args` excludes the command's own words ("providers", "get"). Options may come before or after
// operands, as `--name VALUE` or `--name=VALUE`; "--" ends the options; "-" is an operand
// (standard input). Unknown options, a missing or empty value, a flag given a value, a
// non-repeatable option given twice and a wrong number of operands are errors.
ParsedArguments parse_arguments(const CommandSpec& spec, const std::vector<std::string>& args);

// "usage: mpli providers get [OPTION...] ID", the summary, the options (aligned), the examples
// and the footer.
std::string render_help(const CommandSpec& spec);

// A command with subcommands ("providers"): the subcommand names and their summaries' first
// lines, and how to ask for one's help.
std::string render_group_help(const std::string& group, const std::string& summary,
                              const std::vector<CommandSpec>& subcommands,
                              const std::string& footer);

bool is_help_flag(const std::string& arg);

// A page size or count: decimal digits only, within [min, max]; nullopt otherwise.
std::optional<int> bounded_number(const std::string& text, int min, int max);

}  // namespace mpli::cli
