#include "tools/mpli/bills_command.h"

#include <iostream>

#include "tools/mpli/command_group.h"
#include "tools/mpli/hub_client.h"
#include "tools/mpli/orders_command.h"
#include "tools/mpli/table.h"

namespace mpli::cli {
namespace {

using nlohmann::json;

// Billable time as "12h05m": whole minutes, integers only (the amount is the hub's, exact).
std::string duration_text(const json& seconds) {
  if (!seconds.is_number_integer()) return json_text(json{{"s", seconds}}, "s");
  int64_t total = seconds.get<int64_t>();
  int64_t hours = total / 3600;
  int64_t minutes = (total % 3600) / 60;
  std::string mm = std::to_string(minutes);
  return std::to_string(hours) + "h" + (mm.size() < 2 ? "0" + mm : mm) + "m";
}

CommandSpec bills_spec() {
  std::vector<OptionSpec> options = {
      {"--period", "YYYY-MM", "the calendar month (UTC), e.g. 2026-11 (required)"},
      {"--consumer", "TENANT",
       "whose bill: required for the admin; a consumer token sees its own only"},
      {"--on-behalf-of", "TENANT", "act for this consumer tenant (a marketplace token)"},
  };
  for (auto& option : hub_options()) options.push_back(std::move(option));
  return {"bills",
          "",
          "Prints one consumer's bill for a month (GET /v1/bills): a line per provider and\n"
          "order, each provider's total, and the total per currency. Amounts are the hub's,\n"
          "exact decimals.",
          options,
          0,
          0,
          {"mpli bills --period 2026-11", "mpli bills --consumer acme --period 2026-11 --json"},
          exit_status_help()};
}

int show_bill(const ParsedArguments& arguments) {
  auto hub = HubClient::open("bills", arguments, TokenUse::kPreferred);
  if (!hub) return kExitUsage;
  auto period = arguments.value("--period");
  if (!period) {
    hub->error("give --period YYYY-MM, the month of the bill");
    return kExitUsage;
  }
  std::vector<std::string> headers;
  if (auto tenant = arguments.value("--on-behalf-of")) {
    headers.push_back("Mpli-On-Behalf-Of: " + *tenant);
  }
  std::string query =
      query_string({{"consumer", arguments.value("--consumer").value_or("")}, {"period", *period}});
  auto answer = hub->call_json("GET", "/v1/bills" + query, "", headers);
  if (answer.exit_code != kExitOk) return answer.exit_code;
  if (hub->json_output()) {
    print_line(answer.raw);
  } else {
    std::cout << bill_text(answer.body);
  }
  return kExitOk;
}

}  // namespace

std::string bill_text(const json& bill) {
  std::string out = "bill of " + json_text(bill, "tenant") + " for " + json_text(bill, "period");
  if (!json_text(bill, "period_start").empty()) {
    out += " (" + json_text(bill, "period_start") + " to " + json_text(bill, "period_end") + ")";
  }
  out += bill.value("final", false) ? ", final\n" : ", so far (the month has not ended)\n";
  std::vector<std::vector<std::string>> lines;
  if (bill.contains("lines") && bill["lines"].is_array()) {
    for (const json& line : bill["lines"]) {
      std::string unit = json_text(line, "price_unit") == "HUR" ? "/hour" : "/month";
      lines.push_back(
          {json_text(line, "provider_id"), json_text(line, "order_id"),
           json_text(line, "offering_name").empty() ? json_text(line, "offering_id")
                                                    : json_text(line, "offering_name"),
           json_text(line, "quantity"),
           json_text(line, "unit_price") + " " + json_text(line, "currency") + unit,
           line.contains("billable_seconds") ? duration_text(line["billable_seconds"]) : "",
           json_text(line, "amount") + " " + json_text(line, "currency")});
    }
  }
  if (lines.empty()) {
    out += "no billable orders\n";
  } else {
    out += render_table({{"PROVIDER", 20},
                         {"ORDER", 0},
                         {"OFFERING", 32},
                         {"QTY", 6, true},
                         {"UNIT PRICE", 24, true},
                         {"TIME", 10, true},
                         {"AMOUNT", 0, true}},
                        lines);
  }
  std::vector<std::vector<std::string>> totals;
  if (bill.contains("providers") && bill["providers"].is_array()) {
    for (const json& provider : bill["providers"]) {
      totals.push_back({"provider " + json_text(provider, "provider_id"),
                        json_text(provider, "amount") + " " + json_text(provider, "currency")});
    }
  }
  if (bill.contains("totals") && bill["totals"].is_array()) {
    for (const json& total : bill["totals"]) {
      totals.push_back({"TOTAL", json_text(total, "amount") + " " + json_text(total, "currency")});
    }
  }
  if (!totals.empty()) out += "\n" + render_table({{"", 0}, {"AMOUNT", 0, true}}, totals);
  return out;
}

int run_bills_command(int argc, char** argv) {
  return run_single(bills_spec(), show_bill, argc, argv);
}

}  // namespace mpli::cli
