#include "tools/mpli/migrations_command.h"

#include <google/protobuf/util/json_util.h>

#include <chrono>
#include <fstream>
#include <iostream>
#include <thread>

#include "libs/core/ids.h"
#include "services/gateway/domain/url.h"
#include "services/portability/report/report_format.h"
#include "services/portability/report/report_text.h"
#include "tools/mpli/command_group.h"
#include "tools/mpli/hub_client.h"
#include "tools/mpli/orders_command.h"
#include "tools/mpli/table.h"

namespace mpli::cli {
namespace {

using nlohmann::json;

// Creating a migration has portability read the order and ask the resolver first: longer than
// the gateway's request.long_timeout (20 s), so its 504 arrives before ours.
constexpr std::chrono::seconds kCreateTimeout{60};
constexpr std::chrono::milliseconds kWaitPoll{500};

std::vector<OptionSpec> with_hub(std::vector<OptionSpec> options) {
  options.push_back({"--on-behalf-of", "TENANT",
                     "act for this consumer tenant (an admin or marketplace token;\n"
                     "sent as Mpli-On-Behalf-Of)"});
  for (auto& option : hub_options()) options.push_back(std::move(option));
  return options;
}

std::vector<std::string> behalf_header(const ParsedArguments& arguments) {
  if (auto tenant = arguments.value("--on-behalf-of")) return {"Mpli-On-Behalf-Of: " + *tenant};
  return {};
}

std::string migration_path(const std::string& id) {
  return "/v1/migrations/" + gateway::percent_encode(id);
}

int print_migration_answer(const HubClient& hub, const HubClient::JsonAnswer& answer) {
  if (answer.exit_code != kExitOk) return answer.exit_code;
  if (hub.json_output()) {
    print_line(answer.raw);
  } else {
    std::cout << migration_fields(answer.body);
  }
  return kExitOk;
}

int migrations_create(const ParsedArguments& arguments) {
  auto hub = HubClient::open("migrations create", arguments, TokenUse::kPreferred);
  if (!hub) return kExitUsage;
  auto order = arguments.value("--order");
  auto target = arguments.value("--target");
  if (!order || order->empty() || !target || target->empty()) {
    hub->error("give --order ID (the active order to move) and --target IRI (the offering)");
    return kExitUsage;
  }
  json body = {{"order_id", *order}, {"target_offering_id", *target}};
  if (auto mode = arguments.value("--mode")) {
    if (*mode != "online" && *mode != "offline") {
      hub->error("--mode must be online or offline, not '" + *mode + "'");
      return kExitUsage;
    }
    body["mode"] = *mode;
  }
  json parameters = json::object();
  for (const std::string& pair : arguments.all("--param")) {
    auto equals = pair.find('=');
    if (equals == std::string::npos || equals == 0) {
      hub->error("--param must be NAME=VALUE, not '" + pair + "'");
      return kExitUsage;
    }
    parameters[pair.substr(0, equals)] = pair.substr(equals + 1);
  }
  if (!parameters.empty()) body["target_parameters"] = parameters;
  std::string key = arguments.value("--idempotency-key").value_or("");
  if (key.empty()) {
    key = "mpli-" + ids::new_uuid_v7();
    // On stderr, so --json output stays one document; the key is what makes a retry safe.
    std::cerr << "idempotency key: " << key << " (retry with --idempotency-key " << key
              << " to get the same migration)\n";
  }
  auto headers = behalf_header(arguments);
  headers.push_back("Content-Type: application/json");
  headers.push_back("Idempotency-Key: " + key);
  auto answer = hub->call_json("POST", "/v1/migrations", body.dump(), headers, kCreateTimeout);
  if (answer.exit_code == kExitOk && !hub->json_output() &&
      answer.body.value("created", true) == false) {
    std::cerr << "an earlier request with this key started the migration; nothing new started\n";
  }
  return print_migration_answer(*hub, answer);
}

int migrations_list(const ParsedArguments& arguments) {
  auto hub = HubClient::open("migrations list", arguments, TokenUse::kPreferred);
  if (!hub) return kExitUsage;
  if (auto limit = arguments.value("--limit"); limit && !bounded_number(*limit, 1, 500)) {
    hub->error("--limit must be a number from 1 to 500, not '" + *limit + "'");
    return kExitUsage;
  }
  std::string query = query_string({{"state", arguments.value("--state").value_or("")},
                                    {"order_id", arguments.value("--order").value_or("")},
                                    {"limit", arguments.value("--limit").value_or("")},
                                    {"cursor", arguments.value("--cursor").value_or("")}});
  auto answer = hub->call_json("GET", "/v1/migrations" + query, "", behalf_header(arguments));
  if (answer.exit_code != kExitOk) return answer.exit_code;
  if (hub->json_output()) {
    print_line(answer.raw);
    return kExitOk;
  }
  const json& migrations =
      answer.body.contains("migrations") ? answer.body["migrations"] : json::array();
  if (migrations.empty()) {
    std::cout << "no migrations\n";
  } else {
    std::cout << migrations_table(migrations);
  }
  std::string next = json_text(answer.body, "next_cursor");
  if (!next.empty()) std::cerr << "more migrations: add --cursor " << next << "\n";
  return kExitOk;
}

int migrations_show(const ParsedArguments& arguments) {
  auto hub = HubClient::open("migrations show", arguments, TokenUse::kPreferred);
  if (!hub) return kExitUsage;
  return print_migration_answer(*hub, hub->call_json("GET", migration_path(arguments.operands[0]),
                                                     "", behalf_header(arguments)));
}

int migrations_cancel(const ParsedArguments& arguments) {
  auto hub = HubClient::open("migrations cancel", arguments, TokenUse::kPreferred);
  if (!hub) return kExitUsage;
  return print_migration_answer(
      *hub, hub->call_json("POST", migration_path(arguments.operands[0]) + "/cancel", "",
                           behalf_header(arguments)));
}

// Polls the migration until it ends, printing each state it is seen in: 0 completed, 5 rolled
// back, 6 failed, 3 at --timeout.
int migrations_wait(const ParsedArguments& arguments) {
  auto hub = HubClient::open("migrations wait", arguments, TokenUse::kPreferred);
  if (!hub) return kExitUsage;
  auto timeout = std::chrono::milliseconds(std::chrono::minutes(10));
  if (auto text = arguments.value("--timeout")) {
    auto duration = config::parse_duration(*text);
    if (!duration || duration->count() <= 0) {
      hub->error("--timeout must be a duration like 30s or 10m, not '" + *text + "'");
      return kExitUsage;
    }
    timeout = *duration;
  }
  auto deadline = std::chrono::steady_clock::now() + timeout;
  std::string path = migration_path(arguments.operands[0]);
  std::string last_state;
  while (true) {
    auto answer = hub->call_json("GET", path, "", behalf_header(arguments));
    if (answer.exit_code != kExitOk) return answer.exit_code;
    std::string state = json_text(answer.body, "state");
    if (state != last_state) {
      // Progress on stdout for a person; with --json stdout is kept for the one document.
      (hub->json_output() ? std::cerr : std::cout) << "state: " << state << "\n" << std::flush;
    }
    last_state = state;
    if (state == "completed" || state == "rolled_back" || state == "failed") {
      if (hub->json_output()) {
        print_line(answer.raw);
      } else {
        std::cout << migration_fields(answer.body);
      }
      if (state == "completed") return kExitOk;
      hub->error("the migration ended " + state);
      return state == "rolled_back" ? kExitRolledBack : kExitFailed;
    }
    if (std::chrono::steady_clock::now() + kWaitPoll > deadline) {
      hub->error("timed out: the migration is still " + state);
      return kExitUnavailable;
    }
    std::this_thread::sleep_for(kWaitPoll);
  }
}

// The report: text (rendered here from the JSON), the JSON itself with --json, or the hub's
// HTML page written to --html FILE.
int migrations_report(const ParsedArguments& arguments) {
  auto hub = HubClient::open("migrations report", arguments, TokenUse::kPreferred);
  if (!hub) return kExitUsage;
  std::string path = migration_path(arguments.operands[0]) + "/report";
  if (auto file = arguments.value("--html")) {
    auto headers = behalf_header(arguments);
    headers.push_back("Accept: text/html");
    http::Response response = hub->call("GET", path, "", headers);
    if (response.status < 200 || response.status >= 300) return hub->fail(response);
    std::ofstream out(*file, std::ios::binary | std::ios::trunc);
    out << response.body;
    out.close();
    if (!out) {
      hub->error("cannot write " + *file);
      return kExitUsage;
    }
    std::cerr << "report written to " << *file << "\n";
    return kExitOk;
  }
  auto answer = hub->call_json("GET", path, "", behalf_header(arguments));
  if (answer.exit_code != kExitOk) return answer.exit_code;
  if (hub->json_output()) {
    print_line(answer.raw);
    return kExitOk;
  }
  portability::v1::SwitchingReport report;
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = true;  // a newer hub may say more
  auto parsed = google::protobuf::util::JsonStringToMessage(answer.raw, &report, options);
  if (!parsed.ok()) {
    hub->error("the hub's report is not a switching report: " + parsed.ToString());
    return kExitUnavailable;
  }
  std::cout << portability::report::report_text(report);
  return kExitOk;
}

}  // namespace

std::string migrations_table(const json& migrations) {
  std::vector<std::vector<std::string>> rows;
  for (const json& m : migrations) {
    rows.push_back({json_text(m, "id"), json_text(m, "state"), json_text(m, "order_id"),
                    json_text(m, "source_provider_id"), json_text(m, "target_provider_id"),
                    json_text(m, "mode"), json_text(m, "updated_at")});
  }
  return render_table({{"ID", 0},
                       {"STATE", 22},
                       {"ORDER", 0},
                       {"FROM", 20},
                       {"TO", 20},
                       {"MODE", 8},
                       {"UPDATED", 0}},
                      rows);
}

std::string migration_fields(const json& m) {
  auto number = [&](const char* key) -> int64_t {
    return m.contains(key) && m[key].is_number_integer() ? m[key].get<int64_t>() : -1;
  };
  std::string out = render_fields({
      {"id", json_text(m, "id")},
      {"state",
       json_text(m, "state") + (m.value("cancel_requested", false) ? " (cancel requested)" : "")},
      {"tenant", json_text(m, "tenant")},
      {"order", json_text(m, "order_id")},
      {"from", json_text(m, "source_provider_id") + "  " + json_text(m, "source_offering_id")},
      {"to", json_text(m, "target_provider_id") + "  " + json_text(m, "target_offering_id")},
      {"data", json_text(m, "data_kind")},
      {"mode", json_text(m, "mode")},
      {"format", json_text(m, "format")},
      {"transferred", portability::report::format_bytes(number("bytes_transferred"))},
      {"write downtime", portability::report::format_duration_ms(number("write_downtime_ms"))},
      {"cut over", json_text(m, "cut_over_at")},
      {"created", json_text(m, "created_at")},
      {"updated", json_text(m, "updated_at")},
      {"completed", json_text(m, "completed_at")},
      {"version", json_text(m, "version")},
  });
  if (m.contains("reasons") && m["reasons"].is_array() && !m["reasons"].empty()) {
    out += "reasons:\n";
    for (const json& reason : m["reasons"]) {
      out += "  - " + (reason.is_string() ? reason.get<std::string>() : reason.dump()) + "\n";
    }
  }
  if (m.contains("steps") && m["steps"].is_array() && !m["steps"].empty()) {
    std::vector<std::vector<std::string>> rows;
    for (const json& s : m["steps"]) {
      int64_t ms = s.contains("duration_ms") && s["duration_ms"].is_number_integer()
                       ? s["duration_ms"].get<int64_t>()
                       : -1;
      rows.push_back({json_text(s, "name"), json_text(s, "outcome"), json_text(s, "started_at"),
                      portability::report::format_duration_ms(ms), json_text(s, "message")});
    }
    out +=
        "steps:\n" +
        render_table(
            {{"STEP", 0}, {"OUTCOME", 10}, {"STARTED", 0}, {"DURATION", 12, true}, {"MESSAGE", 60}},
            rows);
  }
  if (m.contains("verification") && m["verification"].is_array() && !m["verification"].empty()) {
    std::vector<std::vector<std::string>> rows;
    for (const json& v : m["verification"]) {
      rows.push_back({json_text(v, "name"), json_text(v, "source_rows"),
                      json_text(v, "target_rows"), v.value("equal", false) ? "yes" : "NO"});
    }
    out +=
        "verification:\n" +
        render_table({{"NAME", 0}, {"SOURCE", 12, true}, {"TARGET", 12, true}, {"EQUAL", 5}}, rows);
  }
  return out;
}

int run_migrations_command(int argc, char** argv) {
  const std::string wait_exits =
      "`wait`: 0 completed, 5 rolled back, 6 failed, 3 still running at --timeout";
  std::vector<Subcommand> subcommands = {
      {{"migrations create",
        "",
        "Moves an active order to an offering at another provider (POST /v1/migrations;\n"
        "EU Data Act switching). Prints the migration. The idempotency key makes a retry\n"
        "safe; without --idempotency-key one is made up and printed on stderr.",
        with_hub({{"--order", "ID", "the active order to move"},
                  {"--target", "IRI", "the offering to move it to (at another provider)"},
                  {"--mode", "MODE",
                   "online (logical replication, short write downtime) or\n"
                   "offline (dump and restore); default: online when both sides can"},
                  {"--param",
                   "NAME=VALUE",
                   "a parameter of the target (repeatable;\n"
                   "default: the order's)",
                   {},
                   true},
                  {"--idempotency-key", "KEY", "1..200 printable characters (default: made up)"}}),
        0,
        0,
        {"mpli migrations create --order ord_0192... --target "
         "'https://polderstack.example/.well-known/mpli.ttl#pg-s' --mode offline"}},
       migrations_create},
      {{"migrations list",
        "",
        "Lists migrations, newest first (GET /v1/migrations): your tenant's; the admin's:\n"
        "everyone's.",
        with_hub(
            {{"--state", "STATE", "only migrations in this state (e.g. completed)"},
             {"--order", "ID", "only migrations of this order"},
             {"--limit", "N", "migrations per page, 1..500 (default 50)"},
             {"--cursor", "CURSOR", "start at this page (the cursor a previous page printed)"}}),
        0,
        0,
        {"mpli migrations list --state rolled_back"}},
       migrations_list},
      {{"migrations show",
        "ID",
        "Shows one migration: state, steps with their durations, verification\n"
        "(GET /v1/migrations/{id}).",
        with_hub({}),
        1,
        1,
        {"mpli migrations show mig_0192..."}},
       migrations_show},
      {{"migrations cancel",
        "ID",
        "Cancels a migration before cut-over: it rolls back, the source untouched\n"
        "(POST /v1/migrations/{id}/cancel); prints it as it is now.",
        with_hub({}),
        1,
        1,
        {"mpli migrations cancel mig_0192..."}},
       migrations_cancel},
      {{"migrations wait",
        "ID",
        "Waits until the migration ends, printing each state it reaches; prints it then.\n"
        "Exit 0 completed, 5 rolled back, 6 failed, 3 at --timeout.",
        with_hub({{"--timeout", "DURATION", "give up after this long (default 10m)"}}),
        1,
        1,
        {"mpli migrations wait mig_0192... --timeout 30m"}},
       migrations_wait},
      {{"migrations report",
        "ID",
        "Prints the switching report: parties, what moved, terms carried over, bytes,\n"
        "per-step durations, write downtime, verification, outcome\n"
        "(GET /v1/migrations/{id}/report). --html writes the hub's page to hand over.",
        with_hub({{"--html", "FILE", "write the self-contained HTML report to FILE instead"}}),
        1,
        1,
        {"mpli migrations report mig_0192...",
         "mpli migrations report mig_0192... --html switch-report.html"}},
       migrations_report},
  };
  for (auto& sub : subcommands) sub.spec.footer = exit_status_help(wait_exits);
  return run_group("migrations", "Moving orders to other providers through a hub.\n", subcommands,
                   argc, argv, exit_status_help(wait_exits));
}

}  // namespace mpli::cli
