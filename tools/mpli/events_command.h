// `mpli events`: follow the hub's events (GET /v1/events, Server-Sent Events), one line each.
#pragma once

namespace mpli::cli {

int run_events_command(int argc, char** argv);

}  // namespace mpli::cli
