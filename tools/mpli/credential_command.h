// `mpli credential issue|verify|submit` and `mpli anchors get|put`: the trust routes of a
// running gateway from the command line.
#pragma once

namespace mpli::cli {

int run_credential_command(int argc, char** argv);
int run_anchors_command(int argc, char** argv);

}  // namespace mpli::cli
