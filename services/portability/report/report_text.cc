#include "services/portability/report/report_text.h"

#include <algorithm>

#include "services/portability/report/report_format.h"

namespace mpli::portability::report {
namespace {

// A value on one terminal line: control characters (ESC, CR, LF, ...) become '?'.
std::string safe(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if ((static_cast<unsigned char>(c) < 0x20) || c == 0x7f) c = '?';
  }
  return out;
}

std::string pad(std::string text, size_t width) {
  if (text.size() < width) text.append(width - text.size(), ' ');
  return text;
}

// Columns as wide as their widest cell (bytes: the values are mostly ASCII).
std::string table(const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> widths;
  for (const auto& row : rows) {
    widths.resize(std::max(widths.size(), row.size()), 0);
    for (size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], row[i].size());
  }
  std::string out;
  for (const auto& row : rows) {
    std::string line = "  ";
    for (size_t i = 0; i < row.size(); ++i) {
      line += i + 1 == row.size() ? row[i] : pad(row[i], widths[i] + 2);
    }
    out += line + "\n";
  }
  return out;
}

}  // namespace

std::string report_text(const v1::SwitchingReport& r) {
  std::string out = "SWITCHING REPORT " + safe(r.migration_id()) + "\n";
  out += safe(outcome_sentence(r)) + "\n\n";
  auto summary = summary_rows(r);
  size_t width = 0;
  for (const auto& row : summary) width = std::max(width, row.first.size());
  for (const auto& [label, value] : summary)
    out += pad(label + ":", width + 2) + safe(value) + "\n";

  out += "\nTERMS CARRIED OVER\n";
  auto terms = sorted_terms(r);
  if (terms.empty()) out += "  none recorded\n";
  std::vector<std::vector<std::string>> term_rows;
  term_rows.reserve(terms.size());
  for (const auto& [name, value] : terms) term_rows.push_back({safe(name), safe(value)});
  out += table(term_rows);

  out += "\nSTEPS\n";
  if (r.steps().empty()) {
    out += "  none recorded\n";
  } else {
    std::vector<std::vector<std::string>> rows = {
        {"STEP", "OUTCOME", "STARTED", "DURATION", "DATA", "MESSAGE"}};
    for (const auto& s : r.steps()) {
      rows.push_back({safe(s.name()), safe(s.outcome()), safe(s.started_at()),
                      format_duration_ms(s.duration_ms()),
                      s.bytes() > 0 ? format_bytes(s.bytes()) : "-", safe(s.message())});
    }
    out += table(rows);
  }
  out += "  write downtime: " + format_duration_ms(r.write_downtime_ms()) + "\n";

  out += "\nVERIFICATION\n";
  out += "  checksums: " + safe(checksum_method_sentence(r)) + "\n";
  if (r.verification().empty()) {
    out += r.verified() ? "  no table on either side (an empty database): equal\n"
                        : "  none recorded\n";
  } else {
    std::vector<std::vector<std::string>> rows = {
        {"NAME", "SOURCE ROWS", "TARGET ROWS", "EQUAL", "SOURCE CHECKSUM"}};
    for (const auto& v : r.verification()) {
      rows.push_back({safe(v.name()), std::to_string(v.source_rows()),
                      std::to_string(v.target_rows()), v.equal() ? "yes" : "NO",
                      safe(v.source_checksum())});
    }
    out += table(rows);
    out += r.verified() ? "  every check equal\n" : "  SOME CHECKS DIFFER\n";
  }
  if (!r.reasons().empty()) {
    out += "\nREASONS\n";
    for (const auto& reason : r.reasons()) out += "  - " + safe(reason) + "\n";
  }
  return out;
}

}  // namespace mpli::portability::report
