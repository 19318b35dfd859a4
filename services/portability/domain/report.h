// Timings and the switching report: write downtime, step durations, SwitchingReport from a
// migration (docs/migrations.md, "Timings, downtime, the report").
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>

#include "libs/core/status.h"
#include "mpli/portability/v1/portability.pb.h"

namespace mpli::portability {

using TimePoint = std::chrono::system_clock::time_point;

// "2026-12-03T06:00:00.123Z" (also without milliseconds, or with an offset); nullopt otherwise.
std::optional<TimePoint> parse_rfc3339(const std::string& text);

// From the source's frozen_at (the worker's clock) to the end of move_order; -1 when frozen_at
// is unknown or unreadable, 0 when the clocks put the freeze after the move.
int64_t write_downtime_ms(const std::string& frozen_at, TimePoint moved_at);

// Milliseconds between two RFC 3339 times; 0 when either is missing.
int64_t duration_ms(const std::string& started_at, const std::string& finished_at);

struct ReportInput {
  std::string source_offering_name;
  std::string target_offering_name;
  std::map<std::string, std::string> terms;  // price, unit, currency, quantity, parameters
  std::string decommissioned_at;
  std::string generated_at;
  // Both sides were compared and found equal although neither holds a table (an empty
  // database): there are no verification rows to show it.
  bool verified_empty = false;
  std::string checksum_method;  // SwitchingReport.checksum_method
};

// The report of a migration (with its steps). total_duration_ms from created_at to
// completed_at (or generated_at while unfinished).
v1::SwitchingReport build_report(const v1::Migration& migration, const ReportInput& input);

}  // namespace mpli::portability
