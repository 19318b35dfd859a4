// `mpli providers list|get|register|refresh|delete`, `mpli offerings list|get` and `mpli kinds
// list|show|register`: the hub's provider registry, catalogue and kinds of service
// (GET/POST/DELETE /v1/providers, GET /v1/offerings, GET/POST /v1/ontologies).
#pragma once

namespace mpli::cli {

int run_providers_command(int argc, char** argv);
int run_offerings_command(int argc, char** argv);
int run_kinds_command(int argc, char** argv);

}  // namespace mpli::cli
