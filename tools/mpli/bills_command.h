// `mpli bills [--consumer C] --period YYYY-MM`: one consumer's bill for a month from a hub's
// GET /v1/bills, a line per provider and order, each provider's total and the total (docs/cli.md).
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace mpli::cli {

int run_bills_command(int argc, char** argv);

// The bill as text: a header, the lines (PROVIDER, ORDER, OFFERING, QTY, UNIT PRICE, HOURS,
// AMOUNT), the per-provider totals and the totals per currency.
std::string bill_text(const nlohmann::json& bill);

}  // namespace mpli::cli
