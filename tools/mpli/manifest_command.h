// `mpli manifest check FILE`: the hub's own check of a provider manifest, offline.
#pragma once

namespace mpli::cli {

// argv[0] is "manifest"; returns the exit code (0 the hub accepts it, 1 it refuses it, 2 bad
// usage or an unreadable file).
int run_manifest_command(int argc, char** argv);

}  // namespace mpli::cli
