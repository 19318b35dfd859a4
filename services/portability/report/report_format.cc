#include "services/portability/report/report_format.h"

#include <algorithm>
#include <cstdio>
#include <iterator>

namespace mpli::portability::report {
namespace {

std::string two_digits(int64_t n) {
  char text[8];
  std::snprintf(text, sizeof(text), "%02lld", static_cast<long long>(n));
  return text;
}

std::string or_dash(const std::string& text) { return text.empty() ? "-" : text; }

// "Name (id)" when the report knows the offering's name, else the id alone.
std::string offering(const std::string& name, const std::string& id) {
  if (name.empty()) return or_dash(id);
  return name + " (" + id + ")";
}

}  // namespace

std::string format_duration_ms(int64_t milliseconds) {
  if (milliseconds < 0) return "unknown";
  if (milliseconds < 1000) return std::to_string(milliseconds) + " ms";
  if (milliseconds < 60000) {
    char text[32];
    std::snprintf(text, sizeof(text), "%lld.%03lld s", static_cast<long long>(milliseconds / 1000),
                  static_cast<long long>(milliseconds % 1000));
    return text;
  }
  int64_t seconds = milliseconds / 1000;
  int64_t hours = seconds / 3600;
  int64_t minutes = (seconds % 3600) / 60;
  std::string out;
  if (hours > 0)
    out = std::to_string(hours) + "h " + two_digits(minutes) + "m ";
  else
    out = std::to_string(minutes) + "m ";
  return out + two_digits(seconds % 60) + "s";
}

std::string format_bytes(int64_t bytes) {
  if (bytes < 0) return "unknown";
  if (bytes < 1024) return std::to_string(bytes) + (bytes == 1 ? " byte" : " bytes");
  static constexpr const char* kUnits[] = {"KiB", "MiB", "GiB", "TiB", "PiB"};
  double value = static_cast<double>(bytes) / 1024.0;
  size_t unit = 0;
  while (value >= 1024.0 && unit + 1 < std::size(kUnits)) {
    value /= 1024.0;
    ++unit;
  }
  char text[64];
  std::snprintf(text, sizeof(text), "%.1f %s (%lld bytes)", value, kUnits[unit],
                static_cast<long long>(bytes));
  return text;
}

std::string checksum_method_sentence(const v1::SwitchingReport& report) {
  const std::string& method = report.checksum_method();
  if (method == "row-hash") {
    return "per table, the row count and the sum of each row's 64-bit hash of its values, "
           "computed by each side's PostgreSQL server (row-hash; both servers hash alike)";
  }
  if (method == "copy-sha256") {
    return "per table, the row count and the sum of each row's SHA-256 of its COPY text, "
           "computed by each side's worker (copy-sha256)";
  }
  if (method == "sha256") return "SHA-256 of the image's raw content, on each side (sha256)";
  return method.empty() ? "not recorded" : method;
}

std::string outcome_sentence(const v1::SwitchingReport& report) {
  const std::string target = offering(report.target_offering_name(), report.target_offering_id()) +
                             " at provider " + or_dash(report.target_provider_id());
  const std::string source = offering(report.source_offering_name(), report.source_offering_id()) +
                             " at provider " + or_dash(report.source_provider_id());
  if (report.outcome() == "completed") {
    return "Completed: order " + report.order_id() + " now runs on " + target + ".";
  }
  if (report.outcome() == "rolled_back") {
    return "Rolled back: order " + report.order_id() + " still runs, untouched, on " + source + ".";
  }
  if (report.outcome() == "failed") {
    return "Failed: the switch could not finish and its rollback left work for an operator "
           "(see the reasons).";
  }
  return "Not finished: the migration is " + or_dash(report.outcome()) + ".";
}

std::vector<std::pair<std::string, std::string>> summary_rows(const v1::SwitchingReport& report) {
  std::vector<std::pair<std::string, std::string>> rows = {
      {"Migration", report.migration_id()},
      {"Customer (tenant)", report.tenant()},
      {"Order", report.order_id()},
      {"Outcome", or_dash(report.outcome())},
      {"Source provider", or_dash(report.source_provider_id())},
      {"Source offering", offering(report.source_offering_name(), report.source_offering_id())},
      {"Target provider", or_dash(report.target_provider_id())},
      {"Target offering", offering(report.target_offering_name(), report.target_offering_id())},
      {"Data", or_dash(report.data_kind())},
      {"Mode", or_dash(report.mode())},
      {"Format", or_dash(report.format())},
      {"Started", or_dash(report.started_at())},
      {"Cut over", or_dash(report.cut_over_at())},
      {"Completed", or_dash(report.completed_at())},
      {"Source decommissioned", or_dash(report.decommissioned_at())},
      {"Total duration", format_duration_ms(report.total_duration_ms())},
      {"Write downtime", format_duration_ms(report.write_downtime_ms())},
      {"Data transferred", format_bytes(report.bytes_transferred())},
      {"Data verified",
       report.verification_size() == 0
           ? (report.verified() ? "yes: no table on either side (an empty database)"
                                : "no verification recorded")
       : report.verified() ? "yes: every check equal"
                           : "NO: checks differ"},
      {"Report generated", or_dash(report.generated_at())},
  };
  return rows;
}

std::vector<std::pair<std::string, std::string>> sorted_terms(const v1::SwitchingReport& report) {
  std::vector<std::pair<std::string, std::string>> terms(report.terms().begin(),
                                                         report.terms().end());
  std::sort(terms.begin(), terms.end());
  return terms;
}

}  // namespace mpli::portability::report
