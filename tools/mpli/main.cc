// mpli: the command-line client. Dispatches to one command per file.
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "tools/mpli/credential_command.h"
#include "tools/mpli/federation_command.h"
#include "tools/mpli/resolve_command.h"
#include "tools/mpli/shacl_command.h"
#include "tools/mpli/token_command.h"

namespace {
constexpr const char* kUsage =
    "usage: mpli <command> [OPTION...]\n"
    "  up          run a local federation in the foreground (Ctrl-C stops it)\n"
    "  down        stop the local federation started by `mpli up`\n"
    "  shacl       validate RDF data against SHACL shapes\n"
    "  credential  issue, verify or submit a verifiable credential through a hub's gateway\n"
    "  anchors     get or replace a hub's trust anchors (admin)\n"
    "  resolve     resolve a consumer manifest against a hub's catalogue and print the answers\n"
    "  token       create a bearer token for the hub's gateway (signed with the hub's key)\n"
    "`mpli <command> --help` (or `mpli help <command>`) describes a command and its options.\n";

bool is_help(const std::string& arg) { return arg == "-h" || arg == "--help" || arg == "help"; }

// The command's exit code; nullopt when there is no such command.
std::optional<int> run_command(const std::string& command, int argc, char** argv) {
  if (command == "up") return mpli::cli::run_up_command(argc, argv);
  if (command == "down") return mpli::cli::run_down_command(argc, argv);
  if (command == "shacl") return mpli::cli::run_shacl_command(argc, argv);
  if (command == "credential") return mpli::cli::run_credential_command(argc, argv);
  if (command == "anchors") return mpli::cli::run_anchors_command(argc, argv);
  if (command == "resolve") return mpli::cli::run_resolve_command(argc, argv);
  if (command == "token") return mpli::cli::run_token_command(argc, argv);
  return std::nullopt;
}
}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << kUsage;
    return 2;
  }
  std::string command = argv[1];
  if (is_help(command)) {
    if (argc == 2) {
      std::cout << kUsage;
      return 0;
    }
    // `mpli help up` is `mpli up --help`.
    std::string topic = argv[2];
    std::string help_flag = "--help";
    std::vector<char*> help_argv = {argv[2], help_flag.data(), nullptr};
    if (auto code = run_command(topic, 2, help_argv.data())) return *code;
    std::cerr << "mpli: no command '" << topic << "'\n" << kUsage;
    return 2;
  }
  if (auto code = run_command(command, argc - 1, argv + 1)) return *code;
  std::cerr << "mpli: " << (command.rfind('-', 0) == 0 ? "unknown option '" : "unknown command '")
            << command << "'\n"
            << kUsage;
  return 2;
}
