// Runs until Ctrl-C, --max events, or --timeout; each event is printed and flushed as it arrives
// so the output can be piped into another program while the stream goes on.
#include "tools/mpli/events_command.h"

#include <signal.h>

#include <chrono>
#include <iostream>

#include "tools/mpli/command_group.h"
#include "tools/mpli/hub_client.h"
#include "tools/mpli/sse.h"
#include "tools/mpli/views.h"

namespace mpli::cli {
namespace {

volatile sig_atomic_t interrupted = 0;
void on_interrupt(int) { interrupted = 1; }

CommandSpec events_spec() {
  std::vector<OptionSpec> options = {
      {"--provider", "ID", "only events about this provider"},
      {"--order", "ID", "only events about this order"},
      {"--migration", "ID", "only events about this migration"},
      {"--type", "PREFIX", "only event types starting with PREFIX, e.g. discovery.v1.offering_"},
      {"--last-event-id", "ID",
       "resume after this event (the first column of an earlier line);\n"
       "default: new events only"},
      {"--max", "N", "stop after N events"},
      {"--timeout", "DURATION", "stop after this long, e.g. 30s or 5m"},
  };
  for (auto& option : hub_options()) options.push_back(std::move(option));
  return {
      "events",
      "",
      "Follows the hub's events (GET /v1/events, Server-Sent Events) as they happen.\n"
      "One line per event: its id, when, its type, and what it is about (key=value). With\n"
      "--json each line is {\"id\", \"event\", \"data\"} with the whole event. Catalogue\n"
      "events are public; events about your resources need your token. Runs until Ctrl-C,\n"
      "--max or --timeout.",
      options,
      0,
      0,
      {"mpli events --provider hexacloud",
       "mpli events --type discovery.v1. --max 10 --timeout 1m --json",
       "mpli events --last-event-id 42"},
      exit_status_help() +
          "Stopping by Ctrl-C, --max or --timeout is exit 0; the hub ending the stream is 3.\n"};
}

int follow(const ParsedArguments& arguments) {
  std::optional<int> max;
  if (auto text = arguments.value("--max")) {
    max = bounded_number(*text, 1, 1000000000);
    if (!max) {
      std::cerr << "mpli events: --max must be a positive number, not '" << *text << "'\n";
      return kExitUsage;
    }
  }
  std::optional<std::chrono::steady_clock::time_point> deadline;
  if (auto text = arguments.value("--timeout")) {
    auto duration = config::parse_duration(*text);
    if (!duration || duration->count() <= 0) {
      std::cerr << "mpli events: --timeout must be a duration like 30s or 5m, not '" << *text
                << "'\n";
      return kExitUsage;
    }
    deadline = std::chrono::steady_clock::now() + *duration;
  }
  auto hub = HubClient::open("events", arguments, TokenUse::kIfGiven);
  if (!hub) return kExitUsage;
  std::vector<std::string> headers;
  if (auto id = arguments.value("--last-event-id")) headers.push_back("Last-Event-ID: " + *id);
  std::string query = query_string({{"provider", arguments.value("--provider").value_or("")},
                                    {"order", arguments.value("--order").value_or("")},
                                    {"migration", arguments.value("--migration").value_or("")},
                                    {"type", arguments.value("--type").value_or("")}});

  struct sigaction action {};
  action.sa_handler = on_interrupt;
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);

  SseParser parser;
  int seen = 0;
  bool json = hub->json_output();
  auto stop = [&] {
    return interrupted != 0 || (deadline && std::chrono::steady_clock::now() >= *deadline);
  };
  auto on_bytes = [&](std::string_view bytes) {
    for (const ServerSentEvent& event : parser.feed(bytes)) {
      print_line(json ? event_json_line(event) : event_line(event));
      if (max && ++seen >= *max) return false;
    }
    return !stop();
  };
  int code = hub->stream("/v1/events" + query, headers, on_bytes, stop);
  if (code == kExitUnavailable && !parser.last_event_id().empty()) {
    std::cerr << "mpli events: resume with --last-event-id " << parser.last_event_id() << "\n";
  }
  return code;
}

}  // namespace

int run_events_command(int argc, char** argv) {
  return run_single(events_spec(), follow, argc, argv);
}

}  // namespace mpli::cli
