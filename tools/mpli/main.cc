// mpli: the command-line client. Dispatches to one command per file.
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "tools/mpli/bills_command.h"
#include "tools/mpli/catalogue_commands.h"
#include "tools/mpli/credential_command.h"
#include "tools/mpli/events_command.h"
#include "tools/mpli/federation_command.h"
#include "tools/mpli/manifest_command.h"
#include "tools/mpli/migrations_command.h"
#include "tools/mpli/orders_command.h"
#include "tools/mpli/resolve_command.h"
#include "tools/mpli/shacl_command.h"
#include "tools/mpli/token_command.h"

namespace {
constexpr const char* kUsage =
    "usage: mpli <command> [OPTION...]\n"
    "a local federation:\n"
    "  up           run a local federation in the foreground (Ctrl-C stops it)\n"
    "  down         stop the local federation started by `mpli up`\n"
    "a hub (--hub URL or $MPLI_HUB, default http://127.0.0.1:8080; token from --token-file\n"
    "or $MPLI_TOKEN; --json for the hub's JSON):\n"
    "  providers    list, show, register, refresh or delete providers\n"
    "  offerings    search the catalogue, show an offering\n"
    "  kinds        list, show or register the kinds of service the hub knows\n"
    "  resolve      resolve a consumer manifest against the catalogue and print the answers\n"
    "  credentials  submit, verify, list or issue verifiable credentials, list verified facts\n"
    "               (`credential` is the same command)\n"
    "  anchors      get or replace a hub's trust anchors (admin)\n"
    "  events       follow the hub's events as they happen\n"
    "  orders       place, list, show, modify, delete or wait for orders\n"
    "  bills        print a consumer's bill for a month\n"
    "  migrations   move an order to another provider; follow it; its switching report\n"
    "  token        create a bearer token for the hub's gateway (signed with the hub's key)\n"
    "offline:\n"
    "  manifest     check a provider manifest exactly as the hub would, before publishing it\n"
    "  shacl        validate RDF data against SHACL shapes\n"
    "`mpli <command> --help` (or `mpli help <command>`) describes a command and its options.\n"
    "exit status: 0 done, 1 the hub refused, 2 bad usage, 3 the hub cannot be reached or\n"
    "failed (docs/cli.md)\n";

bool is_help(const std::string& arg) { return arg == "-h" || arg == "--help" || arg == "help"; }

// The command's exit code; nullopt when there is no such command.
std::optional<int> run_command(const std::string& command, int argc, char** argv) {
  using namespace mpli::cli;
  if (command == "up") return run_up_command(argc, argv);
  if (command == "down") return run_down_command(argc, argv);
  if (command == "shacl") return run_shacl_command(argc, argv);
  if (command == "manifest") return run_manifest_command(argc, argv);
  if (command == "providers") return run_providers_command(argc, argv);
  if (command == "offerings") return run_offerings_command(argc, argv);
  if (command == "kinds") return run_kinds_command(argc, argv);
  if (command == "credentials" || command == "credential") {
    return run_credential_command(argc, argv);
  }
  if (command == "anchors") return run_anchors_command(argc, argv);
  if (command == "resolve") return run_resolve_command(argc, argv);
  if (command == "events") return run_events_command(argc, argv);
  if (command == "token") return run_token_command(argc, argv);
  if (command == "orders") return run_orders_command(argc, argv);
  if (command == "migrations") return run_migrations_command(argc, argv);
  if (command == "bills") return run_bills_command(argc, argv);
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
    // `mpli help providers list` is `mpli providers list --help`.
    std::string topic = argv[2];
    std::string help_flag = "--help";
    std::vector<char*> help_argv(argv + 2, argv + argc);
    help_argv.push_back(help_flag.data());
    help_argv.push_back(nullptr);
    if (auto code = run_command(topic, static_cast<int>(help_argv.size()) - 1, help_argv.data())) {
      return *code;
    }
    std::cerr << "mpli: no command '" << topic << "'\n" << kUsage;
    return 2;
  }
  if (auto code = run_command(command, argc - 1, argv + 1)) return *code;
  std::cerr << "mpli: " << (command.rfind('-', 0) == 0 ? "unknown option '" : "unknown command '")
            << command << "'\n"
            << kUsage;
  return 2;
}
