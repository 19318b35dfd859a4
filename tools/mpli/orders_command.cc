#include "tools/mpli/orders_command.h"

#include <chrono>
#include <iostream>
#include <thread>

#include "libs/core/ids.h"
#include "services/gateway/domain/url.h"
#include "tools/mpli/command_group.h"
#include "tools/mpli/hub_client.h"
#include "tools/mpli/table.h"

namespace mpli::cli {
namespace {

using nlohmann::json;

// Placing an order has delivery re-check the answer first: longer than the gateway's
// request.long_timeout (20 s), so its 504 arrives before ours.
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

std::string order_path(const std::string& id) {
  return "/v1/orders/" + gateway::percent_encode(id);
}

// --param NAME=VALUE, repeated, as a JSON object; nullopt after saying why.
std::optional<json> parameters_of(const HubClient& hub, const ParsedArguments& arguments,
                                  bool empty_is_null) {
  json parameters = json::object();
  for (const std::string& pair : arguments.all("--param")) {
    auto equals = pair.find('=');
    if (equals == std::string::npos || equals == 0) {
      hub.error("--param must be NAME=VALUE, not '" + pair + "'");
      return std::nullopt;
    }
    std::string value = pair.substr(equals + 1);
    parameters[pair.substr(0, equals)] = value.empty() && empty_is_null ? json() : json(value);
  }
  return parameters;
}

int print_order_answer(const HubClient& hub, const HubClient::JsonAnswer& answer) {
  if (answer.exit_code != kExitOk) return answer.exit_code;
  if (hub.json_output()) {
    print_line(answer.raw);
  } else {
    std::cout << order_fields(answer.body);
  }
  return kExitOk;
}

int orders_create(const ParsedArguments& arguments) {
  auto hub = HubClient::open("orders create", arguments, TokenUse::kPreferred);
  if (!hub) return kExitUsage;
  bool by_offering = arguments.has("--offering");
  bool by_resolution = arguments.has("--resolution");
  if (by_offering == by_resolution) {
    hub->error("give either --offering IRI or --resolution ID --rank N");
    return kExitUsage;
  }
  json body = json::object();
  if (by_offering) {
    if (arguments.has("--rank") || arguments.has("--requirement")) {
      hub->error("--rank and --requirement go with --resolution, not --offering");
      return kExitUsage;
    }
    body["offering"] = *arguments.value("--offering");
  } else {
    auto rank = bounded_number(arguments.value("--rank").value_or(""), 1, 100);
    if (!rank) {
      hub->error("--resolution needs --rank N, the answer's rank (1..100)");
      return kExitUsage;
    }
    body["resolution"] = *arguments.value("--resolution");
    body["rank"] = *rank;
    if (auto requirement = arguments.value("--requirement")) body["requirement"] = *requirement;
  }
  if (auto quantity = arguments.value("--quantity")) {
    auto n = bounded_number(*quantity, 1, 1000000);
    if (!n) {
      hub->error("--quantity must be a number from 1 to 1000000, not '" + *quantity + "'");
      return kExitUsage;
    }
    body["quantity"] = *n;
  }
  auto parameters = parameters_of(*hub, arguments, false);
  if (!parameters) return kExitUsage;
  if (!parameters->empty()) body["parameters"] = *parameters;
  std::string key = arguments.value("--idempotency-key").value_or("");
  if (key.empty()) {
    key = "mpli-" + ids::new_uuid_v7();
    // On stderr, so --json output stays one document; the key is what makes a retry safe.
    std::cerr << "idempotency key: " << key << " (retry with --idempotency-key " << key
              << " to get the same order)\n";
  }
  auto headers = behalf_header(arguments);
  headers.push_back("Content-Type: application/json");
  headers.push_back("Idempotency-Key: " + key);
  auto answer = hub->call_json("POST", "/v1/orders", body.dump(), headers, kCreateTimeout);
  if (answer.exit_code == kExitOk && !hub->json_output() &&
      answer.body.value("created", true) == false) {
    std::cerr << "an earlier request with this key placed the order; nothing new was ordered\n";
  }
  return print_order_answer(*hub, answer);
}

int orders_list(const ParsedArguments& arguments) {
  auto hub = HubClient::open("orders list", arguments, TokenUse::kPreferred);
  if (!hub) return kExitUsage;
  if (auto limit = arguments.value("--limit"); limit && !bounded_number(*limit, 1, 500)) {
    hub->error("--limit must be a number from 1 to 500, not '" + *limit + "'");
    return kExitUsage;
  }
  std::string query = query_string({{"state", arguments.value("--state").value_or("")},
                                    {"provider", arguments.value("--provider").value_or("")},
                                    {"limit", arguments.value("--limit").value_or("")},
                                    {"cursor", arguments.value("--cursor").value_or("")}});
  auto answer = hub->call_json("GET", "/v1/orders" + query, "", behalf_header(arguments));
  if (answer.exit_code != kExitOk) return answer.exit_code;
  if (hub->json_output()) {
    print_line(answer.raw);
    return kExitOk;
  }
  const json& orders = answer.body.contains("orders") ? answer.body["orders"] : json::array();
  if (orders.empty()) {
    std::cout << "no orders\n";
  } else {
    std::cout << orders_table(orders);
  }
  std::string next = json_text(answer.body, "next_cursor");
  if (!next.empty()) std::cerr << "more orders: add --cursor " << next << "\n";
  return kExitOk;
}

int orders_show(const ParsedArguments& arguments) {
  auto hub = HubClient::open("orders show", arguments, TokenUse::kPreferred);
  if (!hub) return kExitUsage;
  std::string path = order_path(arguments.operands[0]);
  if (arguments.has("--secrets")) path += "?include=secrets";
  return print_order_answer(*hub, hub->call_json("GET", path, "", behalf_header(arguments)));
}

int orders_modify(const ParsedArguments& arguments) {
  auto hub = HubClient::open("orders modify", arguments, TokenUse::kPreferred);
  if (!hub) return kExitUsage;
  auto parameters = parameters_of(*hub, arguments, true);
  if (!parameters) return kExitUsage;
  if (parameters->empty()) {
    hub->error("give at least one --param NAME=VALUE (NAME= removes it)");
    return kExitUsage;
  }
  auto headers = behalf_header(arguments);
  headers.push_back("Content-Type: application/merge-patch+json");
  return print_order_answer(*hub,
                            hub->call_json("PATCH", order_path(arguments.operands[0]),
                                           json{{"parameters", *parameters}}.dump(), headers));
}

int orders_delete(const ParsedArguments& arguments) {
  auto hub = HubClient::open("orders delete", arguments, TokenUse::kPreferred);
  if (!hub) return kExitUsage;
  return print_order_answer(*hub, hub->call_json("DELETE", order_path(arguments.operands[0]), "",
                                                 behalf_header(arguments)));
}

bool is_terminal(const std::string& state) {
  return state == "deleted" || state == "rejected" || state == "failed";
}

// Polls the order until it is in --state: 0 then; 1 when it ends in another terminal state
// (failed, rejected, deleted) and can never get there; 3 at --timeout.
int orders_wait(const ParsedArguments& arguments) {
  auto hub = HubClient::open("orders wait", arguments, TokenUse::kPreferred);
  if (!hub) return kExitUsage;
  std::string wanted = arguments.value("--state").value_or("");
  if (wanted.empty()) {
    hub->error("give --state STATE, the state to wait for (e.g. active)");
    return kExitUsage;
  }
  auto timeout = std::chrono::milliseconds(std::chrono::seconds(60));
  if (auto text = arguments.value("--timeout")) {
    auto duration = config::parse_duration(*text);
    if (!duration || duration->count() <= 0) {
      hub->error("--timeout must be a duration like 30s or 5m, not '" + *text + "'");
      return kExitUsage;
    }
    timeout = *duration;
  }
  auto deadline = std::chrono::steady_clock::now() + timeout;
  std::string path = order_path(arguments.operands[0]);
  std::string last_state;
  while (true) {
    auto answer = hub->call_json("GET", path, "", behalf_header(arguments));
    if (answer.exit_code != kExitOk) return answer.exit_code;
    std::string state = json_text(answer.body, "state");
    if (state != last_state && !hub->json_output()) std::cerr << "state: " << state << "\n";
    last_state = state;
    if (state == wanted || (is_terminal(state) && state != wanted)) {
      if (hub->json_output()) {
        print_line(answer.raw);
      } else {
        std::cout << order_fields(answer.body);
      }
      if (state == wanted) return kExitOk;
      hub->error("the order ended " + state + ", never " + wanted);
      return kExitRefused;
    }
    if (std::chrono::steady_clock::now() + kWaitPoll > deadline) {
      hub->error("timed out: the order is " + state + ", not " + wanted);
      return kExitUnavailable;
    }
    std::this_thread::sleep_for(kWaitPoll);
  }
}

std::string map_lines(const json& object) {
  std::vector<std::pair<std::string, std::string>> fields;
  if (object.is_object()) {
    for (const auto& [key, value] : object.items()) {
      fields.emplace_back("  " + key, value.is_string() ? value.get<std::string>() : value.dump());
    }
  }
  return render_fields(fields);
}

}  // namespace

std::string json_text(const json& object, const std::string& key) {
  if (!object.is_object() || !object.contains(key)) return "";
  const json& value = object[key];
  if (value.is_string()) return value.get<std::string>();
  if (value.is_null()) return "";
  return value.dump();
}

std::string orders_table(const json& orders) {
  std::vector<std::vector<std::string>> rows;
  for (const json& order : orders) {
    rows.push_back({json_text(order, "id"), json_text(order, "state"),
                    json_text(order, "provider_id"),
                    json_text(order, "offering_name").empty() ? json_text(order, "offering_id")
                                                              : json_text(order, "offering_name"),
                    json_text(order, "quantity"), json_text(order, "updated_at")});
  }
  return render_table({{"ID", 0},
                       {"STATE", 16},
                       {"PROVIDER", 20},
                       {"OFFERING", 40},
                       {"QTY", 6, true},
                       {"UPDATED", 0}},
                      rows);
}

std::string order_fields(const json& order) {
  std::string price = json_text(order, "price_amount");
  if (!price.empty()) {
    price += " " + json_text(order, "price_currency") + " per " +
             (json_text(order, "price_unit") == "HUR" ? "hour" : "month");
  }
  std::string out = render_fields({
      {"id", json_text(order, "id")},
      {"state", json_text(order, "state") +
                    (order.value("deletion_requested", false) ? " (deletion requested)" : "")},
      {"tenant", json_text(order, "tenant")},
      {"offering", json_text(order, "offering_name")},
      {"offering id", json_text(order, "offering_id")},
      {"provider", json_text(order, "provider_id")},
      {"worker", json_text(order, "worker_kind")},
      {"quantity", json_text(order, "quantity")},
      {"price", price},
      {"resolution", json_text(order, "resolution_id").empty()
                         ? ""
                         : json_text(order, "resolution_id") + " rank " + json_text(order, "rank")},
      {"created", json_text(order, "created_at")},
      {"updated", json_text(order, "updated_at")},
      {"version", json_text(order, "version")},
  });
  for (const char* section : {"parameters", "outputs", "secrets"}) {
    if (order.contains(section) && order[section].is_object() && !order[section].empty()) {
      out += std::string(section) + ":\n" + map_lines(order[section]);
    }
  }
  if (order.value("has_secrets", false) && !order.contains("secrets")) {
    out += "secrets: (not shown; `mpli orders show --secrets` with the owner's token)\n";
  }
  if (order.contains("reasons") && order["reasons"].is_array() && !order["reasons"].empty()) {
    out += "reasons:\n";
    for (const json& reason : order["reasons"]) {
      out += "  - " + (reason.is_string() ? reason.get<std::string>() : reason.dump()) + "\n";
    }
  }
  if (order.contains("history") && order["history"].is_array() && !order["history"].empty()) {
    std::vector<std::vector<std::string>> rows;
    for (const json& t : order["history"]) {
      rows.push_back(
          {json_text(t, "at"), json_text(t, "from"), json_text(t, "to"), json_text(t, "reason")});
    }
    out += "history:\n" + render_table({{"AT", 0}, {"FROM", 16}, {"TO", 16}, {"REASON", 60}}, rows);
  }
  return out;
}

int run_orders_command(int argc, char** argv) {
  std::vector<Subcommand> subcommands = {
      {{"orders create",
        "",
        "Places an order: an offering from the catalogue, or an answer of a resolution.\n"
        "(POST /v1/orders) Prints the order. The idempotency key makes a retry safe: the\n"
        "same key and body return the same order. Without --idempotency-key one is made up\n"
        "and printed on stderr.",
        with_hub({{"--offering", "IRI", "order this offering"},
                  {"--resolution", "ID", "order an answer of this resolution (with --rank)"},
                  {"--rank", "N", "the answer's rank, 1..100"},
                  {"--requirement", "IRI",
                   "the requirement of the answer to order\n"
                   "(when the answer assigns several)"},
                  {"--param", "NAME=VALUE", "a parameter of the order (repeatable)", {}, true},
                  {"--quantity", "N", "units to order (default 1, or the answer's)"},
                  {"--idempotency-key", "KEY", "1..200 printable characters (default: made up)"}}),
        0,
        0,
        {"mpli orders create --offering "
         "'https://hexacloud.example/.well-known/mpli.ttl#pg-small' --param connection_limit=20",
         "mpli orders create --resolution res_0192... --rank 1 --idempotency-key deploy-42"}},
       orders_create},
      {{"orders list",
        "",
        "Lists orders, newest first (GET /v1/orders): your tenant's; a provider token's:\n"
        "those placed with that provider; the admin's: everyone's.",
        with_hub(
            {{"--state", "STATE", "only orders in this state (e.g. active, failed)"},
             {"--provider", "ID", "only orders placed with this provider"},
             {"--limit", "N", "orders per page, 1..500 (default 50)"},
             {"--cursor", "CURSOR", "start at this page (the cursor a previous page printed)"}}),
        0,
        0,
        {"mpli orders list --state active"}},
       orders_list},
      {{"orders show",
        "ID",
        "Shows one order: state, parameters, outputs, history (GET /v1/orders/{id}).",
        with_hub(
            {{"--secrets", "", "also the connection secrets (the owning consumer's token only)"}}),
        1,
        1,
        {"mpli orders show ord_0192... --secrets"}},
       orders_show},
      {{"orders modify",
        "ID",
        "Changes an active order's parameters (PATCH /v1/orders/{id}); NAME= removes one.",
        with_hub({{"--param", "NAME=VALUE", "a parameter to set (repeatable)", {}, true}}),
        1,
        1,
        {"mpli orders modify ord_0192... --param connection_limit=50"}},
       orders_modify},
      {{"orders delete",
        "ID",
        "Deprovisions the order (DELETE /v1/orders/{id}); prints it as it is now.",
        with_hub({}),
        1,
        1,
        {"mpli orders delete ord_0192..."}},
       orders_delete},
      {{"orders wait",
        "ID",
        "Waits until the order is in --state; prints it then.\n"
        "Exit 1 when it ends failed, rejected or deleted instead; 3 at --timeout.",
        with_hub({{"--state", "STATE", "the state to wait for, e.g. active or deleted"},
                  {"--timeout", "DURATION", "give up after this long (default 60s)"}}),
        1,
        1,
        {"mpli orders wait ord_0192... --state active --timeout 2m"}},
       orders_wait},
  };
  for (auto& sub : subcommands) sub.spec.footer = exit_status_help();
  return run_group("orders", "Orders placed through a hub.\n", subcommands, argc, argv,
                   exit_status_help());
}

}  // namespace mpli::cli
