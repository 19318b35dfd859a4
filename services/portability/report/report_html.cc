#include "services/portability/report/report_html.h"

#include <initializer_list>

#include "services/portability/report/report_format.h"

namespace mpli::portability::report {
namespace {

// Inline only: the page must stay whole when saved, mailed or archived as evidence.
constexpr const char* kStyle =
    "body{font-family:system-ui,sans-serif;margin:2rem auto;max-width:60rem;color:#1b1b1b;"
    "line-height:1.4}"
    "h1{font-size:1.5rem}h2{font-size:1.15rem;margin-top:2rem;border-bottom:1px solid #ccc}"
    "table{border-collapse:collapse;width:100%;margin:.5rem 0}"
    "th,td{border:1px solid #ccc;padding:.3rem .5rem;text-align:left;vertical-align:top}"
    "th{background:#f2f2f2}td.num{text-align:right;font-variant-numeric:tabular-nums}"
    ".outcome{font-weight:bold;padding:.5rem;border:2px solid #888}"
    ".completed{border-color:#2a7a2a}.rolled_back{border-color:#b07800}.failed{border-color:#b00}"
    ".bad{color:#b00;font-weight:bold}code{word-break:break-all}"
    "@media print{body{margin:0}}";

void cell(std::string& out, std::string_view text, const char* css_class = nullptr) {
  out += css_class ? std::string("<td class=\"") + css_class + "\">" : std::string("<td>");
  out += html_escape(text);
  out += "</td>";
}

void header_row(std::string& out, std::initializer_list<const char*> names) {
  out += "<tr>";
  for (const char* name : names) out += std::string("<th>") + name + "</th>";
  out += "</tr>\n";
}

// The outcome as a CSS class: only known words, never the value itself.
const char* outcome_class(const std::string& outcome) {
  if (outcome == "completed") return "completed";
  if (outcome == "rolled_back") return "rolled_back";
  if (outcome == "failed") return "failed";
  return "other";
}

}  // namespace

std::string html_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size() + text.size() / 8);
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string report_html(const v1::SwitchingReport& r) {
  std::string out;
  out.reserve(8192);
  out += "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n";
  out += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n";
  out += "<title>Switching report " + html_escape(r.migration_id()) + "</title>\n";
  out += std::string("<style>") + kStyle + "</style>\n</head>\n<body>\n";
  out += "<h1>Switching report</h1>\n";
  out +=
      "<p>Record of a switch of a data processing service from one provider to another "
      "(EU Data Act, Articles 23 to 30), produced by the MPLI hub from the migration's "
      "persisted steps.</p>\n";
  out += std::string("<p class=\"outcome ") + outcome_class(r.outcome()) + "\">" +
         html_escape(outcome_sentence(r)) + "</p>\n";

  out += "<h2>Parties and summary</h2>\n<table>\n";
  for (const auto& [label, value] : summary_rows(r)) {
    out += "<tr><th scope=\"row\">" + html_escape(label) + "</th>";
    cell(out, value);
    out += "</tr>\n";
  }
  out += "</table>\n";

  out += "<h2>Terms carried over</h2>\n";
  auto terms = sorted_terms(r);
  if (terms.empty()) {
    out += "<p>No terms recorded.</p>\n";
  } else {
    out += "<table>\n";
    header_row(out, {"Term", "Value"});
    for (const auto& [name, value] : terms) {
      out += "<tr>";
      cell(out, name);
      cell(out, value);
      out += "</tr>\n";
    }
    out += "</table>\n";
  }

  out += "<h2>Steps</h2>\n";
  if (r.steps().empty()) {
    out += "<p>No steps recorded.</p>\n";
  } else {
    out += "<table>\n";
    header_row(out,
               {"Step", "Outcome", "Started", "Finished", "Duration", "Data", "What happened"});
    for (const auto& step : r.steps()) {
      out += "<tr>";
      cell(out, step.name());
      cell(out, step.outcome(), step.outcome() == "failed" ? "bad" : nullptr);
      cell(out, step.started_at());
      cell(out, step.finished_at().empty() ? "-" : step.finished_at());
      cell(out, format_duration_ms(step.duration_ms()), "num");
      cell(out, step.bytes() > 0 ? format_bytes(step.bytes()) : "-", "num");
      cell(out, step.message());
      out += "</tr>\n";
    }
    out += "</table>\n";
  }
  out += "<p>Write downtime (from the source's writes frozen to the order moved): <strong>" +
         html_escape(format_duration_ms(r.write_downtime_ms())) + "</strong>.</p>\n";

  out += "<h2>Verification</h2>\n";
  out += "<p>Checksums: " + html_escape(checksum_method_sentence(r)) + ".</p>\n";
  if (r.verification().empty()) {
    out += r.verified() ? "<p>No table on either side (an empty database): equal.</p>\n"
                        : "<p>No verification recorded.</p>\n";
  } else {
    out += "<table>\n";
    header_row(out, {"Table or image", "Source rows", "Target rows", "Source checksum",
                     "Target checksum", "Equal"});
    for (const auto& row : r.verification()) {
      out += "<tr>";
      cell(out, row.name());
      cell(out, std::to_string(row.source_rows()), "num");
      cell(out, std::to_string(row.target_rows()), "num");
      out += "<td><code>" + html_escape(row.source_checksum()) + "</code></td>";
      out += "<td><code>" + html_escape(row.target_checksum()) + "</code></td>";
      cell(out, row.equal() ? "yes" : "NO", row.equal() ? nullptr : "bad");
      out += "</tr>\n";
    }
    out += "</table>\n";
    out += std::string("<p>") +
           (r.verified() ? "Every table (or image) is equal on both sides."
                         : "<span class=\"bad\">Some checks differ.</span>") +
           "</p>\n";
  }

  if (!r.reasons().empty()) {
    out += "<h2>Reasons</h2>\n<ul>\n";
    for (const auto& reason : r.reasons()) out += "<li>" + html_escape(reason) + "</li>\n";
    out += "</ul>\n";
  }
  out += "<p><small>Generated " + html_escape(r.generated_at()) + " for migration " +
         html_escape(r.migration_id()) + ".</small></p>\n";
  out += "</body>\n</html>\n";
  return out;
}

}  // namespace mpli::portability::report
