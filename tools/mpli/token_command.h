// `mpli token create`: a bearer token for the hub's gateway, signed with the hub's key (from
// --key FILE, or <state>/hub-signing-key.pem as `mpli up` keeps it). The token is the last line.
#pragma once

#include <string>
#include <vector>

namespace mpli::cli {

int run_token_command(int argc, char** argv);

// The Authorization header commands send to the gateway: the token in $MPLI_TOKEN, else the
// one `mpli up` wrote to $MPLI_STATE_DIR/admin-token (default .mpli/admin-token) when readable;
// {} when neither (the gateway then answers 401 on routes that need a token).
std::vector<std::string> bearer_from_environment();

}  // namespace mpli::cli
