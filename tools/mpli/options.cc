#include "tools/mpli/options.h"

#include <algorithm>
#include <sstream>

namespace mpli::cli {
namespace {

const OptionSpec* find_option(const CommandSpec& spec, const std::string& name) {
  for (const OptionSpec& option : spec.options) {
    if (option.name == name) return &option;
    if (std::find(option.aliases.begin(), option.aliases.end(), name) != option.aliases.end()) {
      return &option;
    }
  }
  return nullptr;
}

std::string first_line(const std::string& text) { return text.substr(0, text.find('\n')); }

}  // namespace

bool is_help_flag(const std::string& arg) { return arg == "-h" || arg == "--help"; }

std::optional<int> bounded_number(const std::string& text, int min, int max) {
  if (text.empty() || text.size() > 9 ||
      text.find_first_not_of("0123456789") != std::string::npos) {
    return std::nullopt;
  }
  int n = std::stoi(text);
  if (n < min || n > max) return std::nullopt;
  return n;
}

std::optional<std::string> ParsedArguments::value(const std::string& name) const {
  auto it = values.find(name);
  if (it == values.end() || it->second.empty()) return std::nullopt;
  return it->second.back();
}

std::vector<std::string> ParsedArguments::all(const std::string& name) const {
  auto it = values.find(name);
  return it == values.end() ? std::vector<std::string>{} : it->second;
}

ParsedArguments parse_arguments(const CommandSpec& spec, const std::vector<std::string>& args) {
  ParsedArguments parsed;
  // Help wins wherever it stands, even after a mistake: that is when it is wanted most. After
  // "--" it is an operand like any other word.
  for (const std::string& arg : args) {
    if (arg == "--") break;
    if (is_help_flag(arg)) {
      parsed.help = true;
      return parsed;
    }
  }
  auto fail = [&parsed](const std::string& message) {
    parsed.error = message;
    return parsed;
  };
  bool options_ended = false;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (options_ended || arg == "-" || arg.empty() || arg[0] != '-') {
      parsed.operands.push_back(arg);
      continue;
    }
    if (arg == "--") {
      options_ended = true;
      continue;
    }
    std::string name = arg;
    std::optional<std::string> value;
    if (auto equals = arg.find('='); arg.rfind("--", 0) == 0 && equals != std::string::npos) {
      name = arg.substr(0, equals);
      value = arg.substr(equals + 1);
    }
    const OptionSpec* option = find_option(spec, name);
    if (option == nullptr) return fail("unknown option '" + name + "'");
    if (option->value_name.empty()) {
      if (value) return fail(name + " takes no value");
      value = "";
    } else if (!value) {
      if (i + 1 >= args.size()) {
        return fail(name + " needs a value (" + option->value_name + ")");
      }
      value = args[++i];
    }
    if (!option->value_name.empty() && value->empty()) return fail(name + " is empty");
    auto& slot = parsed.values[option->name];
    if (!slot.empty() && !option->repeatable) return fail(option->name + " is given twice");
    slot.push_back(*value);
  }
  if (parsed.operands.size() < spec.min_operands) {
    return fail("missing " + (spec.operands.empty() ? std::string("an argument") : spec.operands));
  }
  if (parsed.operands.size() > spec.max_operands) {
    return fail("unexpected argument '" + parsed.operands[spec.max_operands] + "'");
  }
  return parsed;
}

std::string render_help(const CommandSpec& spec) {
  std::ostringstream out;
  out << "usage: mpli " << spec.name << (spec.options.empty() ? "" : " [OPTION...]")
      << (spec.operands.empty() ? "" : " " + spec.operands) << "\n"
      << spec.summary;
  if (!spec.summary.empty() && spec.summary.back() != '\n') out << "\n";
  const std::string help_flags = "-h, --help";
  size_t width = help_flags.size();
  for (const OptionSpec& option : spec.options) {
    size_t left =
        option.name.size() + (option.value_name.empty() ? 0 : option.value_name.size() + 1);
    width = std::max(width, left);
  }
  width += 2;
  out << "options:\n";
  for (const OptionSpec& option : spec.options) {
    std::string left = option.name + (option.value_name.empty() ? "" : " " + option.value_name);
    // Several description lines are indented under the first.
    std::istringstream lines(option.description);
    std::string line;
    bool first = true;
    while (std::getline(lines, line)) {
      out << "  "
          << (first ? left + std::string(width - left.size(), ' ') : std::string(width, ' '))
          << line << "\n";
      first = false;
    }
    if (first) out << "  " << left << "\n";
  }
  out << "  " << help_flags << std::string(width - help_flags.size(), ' ')
      << "show this help and exit\n";
  if (!spec.examples.empty()) {
    out << (spec.examples.size() == 1 ? "example:\n" : "examples:\n");
    for (const std::string& example : spec.examples) out << "  " << example << "\n";
  }
  out << spec.footer;
  return out.str();
}

std::string render_group_help(const std::string& group, const std::string& summary,
                              const std::vector<CommandSpec>& subcommands,
                              const std::string& footer) {
  std::ostringstream out;
  out << "usage: mpli " << group << " <command> [OPTION...]\n" << summary;
  if (!summary.empty() && summary.back() != '\n') out << "\n";
  size_t width = 0;
  for (const CommandSpec& sub : subcommands) {
    std::string word = sub.name.substr(sub.name.rfind(' ') + 1);
    width = std::max(width, word.size() + 1 + sub.operands.size());
  }
  width += 2;
  out << "commands:\n";
  for (const CommandSpec& sub : subcommands) {
    std::string word = sub.name.substr(sub.name.rfind(' ') + 1);
    std::string left = word + (sub.operands.empty() ? "" : " " + sub.operands);
    out << "  " << left << std::string(width - left.size(), ' ') << first_line(sub.summary) << "\n";
  }
  out << "`mpli " << group << " <command> --help` lists a command's options, with examples.\n"
      << footer;
  return out.str();
}

}  // namespace mpli::cli
