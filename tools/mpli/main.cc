// mpli: the command-line client. Dispatches to one command per file.
#include <iostream>
#include <string>

#include "tools/mpli/federation_command.h"
#include "tools/mpli/shacl_command.h"

namespace {
constexpr const char* kUsage =
    "usage: mpli <command> ...\n"
    "  up       run a local federation in the foreground (Ctrl-C stops it)\n"
    "  down     stop the local federation started by `mpli up`\n"
    "  shacl    validate RDF data against SHACL shapes\n";
}

int main(int argc, char** argv) {
  if (argc < 2 || std::string(argv[1]) == "--help" || std::string(argv[1]) == "help") {
    std::cerr << kUsage;
    return argc < 2 ? 2 : 0;
  }
  std::string command = argv[1];
  if (command == "up") return mpli::cli::run_up_command(argc - 1, argv + 1);
  if (command == "down") return mpli::cli::run_down_command(argc - 1, argv + 1);
  if (command == "shacl") return mpli::cli::run_shacl_command(argc - 1, argv + 1);
  std::cerr << "mpli: unknown command '" << command << "'\n" << kUsage;
  return 2;
}
