// `mpli shacl ...`: SHACL validation from the command line (see docs/manifests.md).
#pragma once

namespace mpli::cli {

// argv[0] is "shacl"; returns the process exit code (0 conforms, 1 does not, 2 error).
int run_shacl_command(int argc, char** argv);

}  // namespace mpli::cli
