// `mpli resolve MANIFEST.ttl`: POST a consumer manifest to a hub's gateway and print the answers
// (or why there are none).
#pragma once

namespace mpli::cli {

int run_resolve_command(int argc, char** argv);

}  // namespace mpli::cli
