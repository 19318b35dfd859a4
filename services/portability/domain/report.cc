#include "services/portability/domain/report.h"

#include <ctime>

namespace mpli::portability {

namespace {

// The `width` characters of `text` from `at` as a number, when they are all ASCII digits (no
// sign, no space: what sscanf's %2d would let through).
std::optional<int> digits_at(const std::string& text, size_t at, size_t width) {
  if (at + width > text.size()) return std::nullopt;
  int value = 0;
  for (size_t i = at; i < at + width; ++i) {
    if (text[i] < '0' || text[i] > '9') return std::nullopt;
    value = value * 10 + (text[i] - '0');
  }
  return value;
}

}  // namespace

std::optional<TimePoint> parse_rfc3339(const std::string& text) {
  // YYYY-MM-DDThh:mm:ss, fixed width.
  if (text.size() < 19 || text[4] != '-' || text[7] != '-' || text[10] != 'T' || text[13] != ':' ||
      text[16] != ':') {
    return std::nullopt;
  }
  auto year = digits_at(text, 0, 4), month = digits_at(text, 5, 2), day = digits_at(text, 8, 2);
  auto hour = digits_at(text, 11, 2), minute = digits_at(text, 14, 2);
  auto second = digits_at(text, 17, 2);
  if (!year || !month || !day || !hour || !minute || !second) return std::nullopt;
  size_t at = 19;
  int64_t millis = 0;
  if (at < text.size() && text[at] == '.') {
    ++at;
    int digits = 0;
    while (at < text.size() && text[at] >= '0' && text[at] <= '9') {
      if (digits < 3) millis = millis * 10 + (text[at] - '0');
      ++digits;
      ++at;
    }
    if (digits == 0) return std::nullopt;
    for (int d = digits; d < 3; ++d) millis *= 10;
  }
  int64_t offset_seconds = 0;
  if (at < text.size() && (text[at] == 'Z' || text[at] == 'z')) {
    ++at;
  } else if (at < text.size() && (text[at] == '+' || text[at] == '-')) {
    auto offset_hours = digits_at(text, at + 1, 2), offset_minutes = digits_at(text, at + 4, 2);
    if (!offset_hours || !offset_minutes || text[at + 3] != ':') return std::nullopt;
    offset_seconds = (text[at] == '+' ? 1 : -1) *
                     (int64_t{*offset_hours} * 3600 + int64_t{*offset_minutes} * 60);
    at += 6;
  } else {
    return std::nullopt;
  }
  if (at != text.size() || *month < 1 || *month > 12 || *day < 1 || *day > 31 || *hour > 23 ||
      *minute > 59 || *second > 60) {
    return std::nullopt;
  }
  std::tm tm{};
  tm.tm_year = *year - 1900;
  tm.tm_mon = *month - 1;
  tm.tm_mday = *day;
  tm.tm_hour = *hour;
  tm.tm_min = *minute;
  tm.tm_sec = *second;
  const int64_t epoch = static_cast<int64_t>(timegm(&tm)) - offset_seconds;
  return TimePoint(std::chrono::milliseconds(epoch * 1000 + millis));
}

int64_t write_downtime_ms(const std::string& frozen_at, TimePoint moved_at) {
  auto frozen = parse_rfc3339(frozen_at);
  if (!frozen) return -1;
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(moved_at - *frozen).count();
  return ms < 0 ? 0 : ms;
}

int64_t duration_ms(const std::string& started_at, const std::string& finished_at) {
  auto start = parse_rfc3339(started_at);
  auto end = parse_rfc3339(finished_at);
  if (!start || !end) return 0;
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(*end - *start).count();
  return ms < 0 ? 0 : ms;
}

v1::SwitchingReport build_report(const v1::Migration& m, const ReportInput& input) {
  v1::SwitchingReport report;
  report.set_migration_id(m.id());
  report.set_tenant(m.tenant());
  report.set_order_id(m.order_id());
  report.set_outcome(m.state());
  report.set_mode(m.mode());
  report.set_data_kind(m.data_kind());
  report.set_source_provider_id(m.source_provider_id());
  report.set_source_offering_id(m.source_offering_id());
  report.set_source_offering_name(input.source_offering_name);
  report.set_target_provider_id(m.target_provider_id());
  report.set_target_offering_id(m.target_offering_id());
  report.set_target_offering_name(input.target_offering_name);
  report.set_format(m.format());
  report.set_started_at(m.created_at());
  report.set_cut_over_at(m.cut_over_at());
  report.set_completed_at(m.completed_at());
  report.set_total_duration_ms(duration_ms(
      m.created_at(), m.completed_at().empty() ? input.generated_at : m.completed_at()));
  report.set_write_downtime_ms(m.write_downtime_ms());
  int64_t bytes = m.bytes_transferred();
  for (const auto& step : m.steps()) {
    *report.add_steps() = step;
    if (m.bytes_transferred() == 0) bytes += step.bytes();
  }
  report.set_bytes_transferred(bytes);
  bool verified = m.verification_size() > 0 || input.verified_empty;
  for (const auto& table : m.verification()) {
    *report.add_verification() = table;
    verified = verified && table.equal();
  }
  report.set_verified(verified);
  report.set_checksum_method(input.checksum_method);
  for (const auto& [key, value] : input.terms) (*report.mutable_terms())[key] = value;
  report.set_decommissioned_at(input.decommissioned_at);
  for (const auto& reason : m.reasons()) report.add_reasons(reason);
  report.set_generated_at(input.generated_at);
  return report;
}

}  // namespace mpli::portability
