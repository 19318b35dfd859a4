// `mpli up` runs a local federation in the foreground (nats-server, PostgreSQL, every service
// and the gateway, logs prefixed); `mpli down` stops the one running from another terminal.
#pragma once

namespace mpli::cli {

int run_up_command(int argc, char** argv);
int run_down_command(int argc, char** argv);

}  // namespace mpli::cli
