#include "tools/mpli/federation_options.h"

#include <algorithm>
#include <functional>
#include <optional>
#include <sstream>

namespace mpli::cli {
namespace {

template <typename Options>
struct OptionDefinition {
  std::string flag;        // "--port"
  std::string value_name;  // "PORT"; "" for a switch ("--cluster", "--cluster=false")
  std::string description;
  std::string default_text;
  std::string environment;  // "" when no variable stands in for the option
  // Stores `value` in the options; returns what is wrong with it, or "".
  std::function<std::string(const std::string& value, Options* options)> apply;
};

template <typename Options>
using OptionTable = std::vector<OptionDefinition<Options>>;

std::string check_port(const std::string& value, int* port) {
  std::string problem = config::int_between(1, 65535)(value);
  if (!problem.empty()) return "must be a port number (1-65535), got '" + value + "'";
  *port = std::stoi(value);
  return "";
}

OptionTable<UpOptions> up_table() {
  const UpOptions defaults;
  return {
      {"--state-dir", "DIR",
       "where NATS, PostgreSQL and the logs keep their data; reused next time", defaults.state_dir,
       "MPLI_STATE_DIR",
       [](const std::string& value, UpOptions* options) {
         if (value.empty()) return std::string("must not be empty");
         options->state_dir = value;
         return std::string();
       }},
      {"--port", "PORT", "gateway HTTP port; demo providers listen on PORT+1, PORT+2, ...",
       std::to_string(defaults.http_port), "MPLI_HTTP_PORT",
       [](const std::string& value, UpOptions* options) {
         return check_port(value, &options->http_port);
       }},
      {"--nats-port", "PORT", "NATS client port", std::to_string(defaults.nats_port), "",
       [](const std::string& value, UpOptions* options) {
         return check_port(value, &options->nats_port);
       }},
      {"--postgres-port", "PORT",
       "PostgreSQL port (loopback, password in <state-dir>/postgres); the demo providers' own "
       "servers on PORT+1, PORT+2, ...",
       std::to_string(defaults.postgres_port), "",
       [](const std::string& value, UpOptions* options) {
         return check_port(value, &options->postgres_port);
       }},
      {"--demo-dir", "DIR", "provider-*.ttl manifests to serve as demo providers; 'none' for none",
       "ontology/examples of the source tree mpli was built from", "",
       [](const std::string& value, UpOptions* options) {
         options->demo_dir = value;
         return std::string();
       }},
      {"--cluster", "",
       "a three-node NATS JetStream cluster (client ports --nats-port and the next two, routes "
       "on the three after, monitoring on the three after those; streams with 3 replicas) and "
       "two instances of the gateway (the second on --port + 10), discovery, resolver and trust",
       defaults.cluster ? "on" : "off", "MPLI_CLUSTER",
       [](const std::string& value, UpOptions* options) {
         auto on = config::parse_bool(value);
         if (!on) return "must be true or false, got '" + value + "'";
         options->cluster = *on;
         return std::string();
       }},
      {"--restart-budget", "N",
       "restarts in a row a crashing service gets before the federation stops",
       std::to_string(defaults.restart.budget), "MPLI_RESTART_BUDGET",
       [](const std::string& value, UpOptions* options) {
         if (!config::int_between(0, 1000)(value).empty()) {
           return "must be a number from 0 to 1000, got '" + value + "'";
         }
         options->restart.budget = std::stoi(value);
         return std::string();
       }},
      {"--healthy-after", "DURATION",
       "a service that ran this long has its restart budget and delay reset",
       format_duration(defaults.restart.healthy_after), "MPLI_RESTART_HEALTHY_AFTER",
       [](const std::string& value, UpOptions* options) {
         auto duration = config::parse_duration(value);
         if (!duration || duration->count() <= 0) {
           return "must be a positive duration like 60s or 500ms, got '" + value + "'";
         }
         options->restart.healthy_after = *duration;
         return std::string();
       }},
  };
}

OptionTable<DownOptions> down_table() {
  const DownOptions defaults;
  return {
      {"--state-dir", "DIR", "the state directory the federation was started with",
       defaults.state_dir, "MPLI_STATE_DIR",
       [](const std::string& value, DownOptions* options) {
         if (value.empty()) return std::string("must not be empty");
         options->state_dir = value;
         return std::string();
       }},
  };
}

template <typename Options>
ParsedCommandLine<Options> parse(const OptionTable<Options>& table,
                                 const std::vector<std::string>& args,
                                 const config::Environment& environment) {
  ParsedCommandLine<Options> parsed;
  auto fail = [&parsed](const std::string& message) {
    parsed.outcome = CommandLineOutcome::kError;
    parsed.error = message;
    return parsed;
  };
  auto find = [&table](const std::string& flag) -> const OptionDefinition<Options>* {
    for (const auto& option : table) {
      if (option.flag == flag) return &option;
    }
    return nullptr;
  };

  // Help wins wherever it stands, even after a mistake: that is when it is wanted most.
  if (std::any_of(args.begin(), args.end(),
                  [](const std::string& arg) { return arg == "-h" || arg == "--help"; })) {
    parsed.outcome = CommandLineOutcome::kHelp;
    return parsed;
  }
  std::vector<std::pair<const OptionDefinition<Options>*, std::string>> given;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    std::string flag = arg;
    std::optional<std::string> value;
    auto equals = arg.find('=');
    if (arg.rfind("--", 0) == 0 && equals != std::string::npos) {
      flag = arg.substr(0, equals);
      value = arg.substr(equals + 1);
    }
    const auto* option = find(flag);
    if (option == nullptr) {
      return fail(arg.rfind('-', 0) == 0 ? "unknown option '" + flag + "'"
                                         : "unexpected argument '" + arg + "'");
    }
    if (!value && option->value_name.empty()) value = "true";  // a switch
    if (!value) {
      if (i + 1 >= args.size()) return fail(flag + " needs a value (" + option->value_name + ")");
      value = args[++i];
    }
    given.emplace_back(option, *value);
  }

  // The environment first, so that the command line wins where both say something.
  for (const auto& option : table) {
    if (option.environment.empty()) continue;
    bool on_command_line = std::any_of(given.begin(), given.end(),
                                       [&](const auto& entry) { return entry.first == &option; });
    auto value = environment(option.environment);
    if (on_command_line || !value || value->empty()) continue;
    std::string problem = option.apply(*value, &parsed.options);
    if (!problem.empty()) return fail(option.environment + ": " + problem);
  }
  for (const auto& [option, value] : given) {
    std::string problem = option->apply(value, &parsed.options);
    if (!problem.empty()) return fail(option->flag + ": " + problem);
  }
  return parsed;
}

template <typename Options>
std::string usage(const std::string& synopsis, const std::string& summary,
                  const OptionTable<Options>& table) {
  const std::string help_flags = "-h, --help";
  size_t width = help_flags.size();
  for (const auto& option : table) {
    width = std::max(width, option.flag.size() + 1 + option.value_name.size());
  }
  width += 2;
  std::ostringstream out;
  out << "usage: " << synopsis << "\n" << summary << "\noptions:\n";
  for (const auto& option : table) {
    std::string left =
        option.value_name.empty() ? option.flag : option.flag + " " + option.value_name;
    out << "  " << left << std::string(width - left.size(), ' ') << option.description << "\n"
        << "  " << std::string(width, ' ') << "default: " << option.default_text;
    if (!option.environment.empty()) out << "; environment: " << option.environment;
    out << "\n";
  }
  out << "  " << help_flags << std::string(width - help_flags.size(), ' ')
      << "show this help and exit\n";
  return out.str();
}

}  // namespace

std::string format_duration(std::chrono::milliseconds duration) {
  long long ms = duration.count();
  if (ms == 0 || ms % 1000 != 0) return std::to_string(ms) + "ms";
  long long seconds = ms / 1000;
  if (seconds % 3600 == 0) return std::to_string(seconds / 3600) + "h";
  if (seconds >= 120 && seconds % 60 == 0) return std::to_string(seconds / 60) + "m";
  return std::to_string(seconds) + "s";
}

ParsedCommandLine<UpOptions> parse_up_command_line(const std::vector<std::string>& args,
                                                   const config::Environment& environment) {
  return parse(up_table(), args, environment);
}

ParsedCommandLine<DownOptions> parse_down_command_line(const std::vector<std::string>& args,
                                                       const config::Environment& environment) {
  return parse(down_table(), args, environment);
}

std::string up_usage() {
  const RestartSettings restart;
  return usage("mpli up [OPTION...]",
               "Runs a local federation in the foreground: nats-server, PostgreSQL, every "
               "service, the\n"
               "gateway and the demo providers, each with its own PostgreSQL server and "
               "worker. Their output\n"
               "is prefixed on stdout and copied, line by line, to <state-dir>/logs. Ctrl-C or "
               "`mpli down`\n"
               "stops it.\n"
               "A service that exits is restarted at once; if it keeps exiting, after " +
                   format_duration(restart.first_delay) +
                   ", then twice as\n"
                   "long each time, up to " +
                   format_duration(restart.max_delay) +
                   ". Once it needs more restarts in a row than --restart-budget,\n"
                   "with no run as long as --healthy-after between them, the federation stops.\n",
               up_table());
}

std::string down_usage() {
  return usage("mpli down [OPTION...]",
               "Stops the federation `mpli up` runs from the state directory and waits until it\n"
               "has stopped (at most 30s).\n",
               down_table());
}

}  // namespace mpli::cli
