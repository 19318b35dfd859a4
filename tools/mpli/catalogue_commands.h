// `mpli providers list|get|register|refresh|delete` and `mpli offerings list|get`: the hub's
// provider registry and catalogue (GET/POST/DELETE /v1/providers, GET /v1/offerings).
#pragma once

namespace mpli::cli {

int run_providers_command(int argc, char** argv);
int run_offerings_command(int argc, char** argv);

}  // namespace mpli::cli
