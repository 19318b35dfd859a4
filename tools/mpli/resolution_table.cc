#include "tools/mpli/resolution_table.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <sstream>
#include <vector>

namespace mpli::cli {
namespace {

using nlohmann::json;

// The string member `key`, "" when absent or not a string.
std::string text(const json& object, const char* key) {
  if (!object.is_object() || !object.contains(key) || !object[key].is_string()) return "";
  return object[key].get<std::string>();
}

// The number member `key`; protobuf's JSON writes 64-bit integers as strings, so those count too.
double number(const json& object, const char* key) {
  if (!object.is_object() || !object.contains(key)) return 0;
  const json& value = object[key];
  if (value.is_number()) return value.get<double>();
  if (value.is_string()) {
    const std::string& s = value.get_ref<const std::string&>();
    char* end = nullptr;
    double parsed = std::strtod(s.c_str(), &end);
    if (end != s.c_str() && *end == '\0') return parsed;
  }
  return 0;
}

const json& list(const json& object, const char* key) {
  static const json kEmpty = json::array();
  if (!object.is_object() || !object.contains(key) || !object[key].is_array()) return kEmpty;
  return object[key];
}

std::string fixed(double value, int decimals) {
  char buffer[64];
  std::snprintf(buffer, sizeof(buffer), "%.*f", decimals, value);
  return buffer;
}

std::string first_non_empty(std::initializer_list<std::string> candidates) {
  for (const std::string& candidate : candidates) {
    if (!candidate.empty()) return candidate;
  }
  return "";
}

std::string plural(long long n, const std::string& one, const std::string& many) {
  return std::to_string(n) + " " + (n == 1 ? one : many);
}

std::string pad_left(const std::string& s, size_t width) {
  return s.size() >= width ? s : std::string(width - s.size(), ' ') + s;
}

// Names for IRIs: requirement labels from the reports, offering names from answers and
// rejected candidates, so near misses and warnings read as the manifest's words.
struct Names {
  std::map<std::string, std::string> requirements;
  std::map<std::string, std::string> offerings;

  explicit Names(const json& resolution) {
    for (const json& report : list(resolution, "requirements")) {
      if (!text(report, "label").empty()) {
        requirements[text(report, "requirement")] = text(report, "label");
      }
      for (const json& rejected : list(report, "rejected")) {
        if (!text(rejected, "offering_name").empty()) {
          offerings[text(rejected, "offering")] = text(rejected, "offering_name");
        }
      }
    }
    for (const json& answer : list(resolution, "answers")) {
      for (const json& a : list(answer, "assignments")) {
        if (!text(a, "requirement_label").empty()) {
          requirements[text(a, "requirement")] = text(a, "requirement_label");
        }
        if (!text(a, "offering_name").empty()) {
          offerings[text(a, "offering")] = text(a, "offering_name");
        }
      }
    }
  }

  static std::string lookup(const std::map<std::string, std::string>& names,
                            const std::string& iri) {
    auto it = names.find(iri);
    return it == names.end() ? iri : it->second;
  }
  std::string requirement(const std::string& iri) const { return lookup(requirements, iri); }
  std::string offering(const std::string& iri) const { return lookup(offerings, iri); }
};

// "PostgreSQL S (hexacloud, fr-par FR)"
std::string assignment_text(const json& a) {
  std::string place = text(a, "region");
  if (!text(a, "country").empty()) place += (place.empty() ? "" : " ") + text(a, "country");
  std::string where = text(a, "provider_id");
  if (!place.empty()) where += (where.empty() ? "" : ", ") + place;
  std::string line = first_non_empty({text(a, "requirement_label"), text(a, "requirement")}) +
                     " -> " + first_non_empty({text(a, "offering_name"), text(a, "offering")});
  if (!where.empty()) line += " (" + where + ")";
  return line;
}

// "memory must be at least 64 GiB [mpli:memoryGiB = 32] (claimed, not verified)"
std::string failure_text(const json& f) {
  std::string line = first_non_empty({text(f, "message"), text(f, "constraint"), "(no message)"});
  std::string path = text(f, "path");
  std::string value = text(f, "value");
  if (!path.empty() || !value.empty()) {
    line += " [" + path + (path.empty() || value.empty() ? "" : " = ") + value + "]";
  }
  if (f.is_object() && f.contains("claimed_not_verified") && f["claimed_not_verified"] == true) {
    line += " (claimed, not verified)";
  }
  return line;
}

void write_answers(std::ostringstream& out, const json& resolution) {
  const json& answers = list(resolution, "answers");
  if (answers.empty()) return;
  std::string currency = text(resolution, "currency");
  struct Row {
    std::string rank, score, price;
    std::vector<std::string> assignments;
  };
  std::vector<Row> rows;
  for (const json& answer : answers) {
    Row row;
    row.rank = std::to_string(static_cast<long long>(number(answer, "rank")));
    row.score = fixed(number(answer, "score"), 3);
    row.price =
        fixed(number(answer, "monthly_price"), 2) + (currency.empty() ? "" : " " + currency);
    for (const json& a : list(answer, "assignments")) row.assignments.push_back(assignment_text(a));
    if (row.assignments.empty()) row.assignments.emplace_back("-");
    rows.push_back(std::move(row));
  }
  size_t rank_width = 4;
  size_t score_width = 5;
  size_t price_width = 13;
  for (const Row& row : rows) {
    rank_width = std::max(rank_width, row.rank.size());
    score_width = std::max(score_width, row.score.size());
    price_width = std::max(price_width, row.price.size());
  }
  out << pad_left("rank", rank_width) << "  " << pad_left("score", score_width) << "  "
      << pad_left("monthly price", price_width) << "  assignments\n";
  std::string indent(rank_width + score_width + price_width + 6, ' ');
  for (const Row& row : rows) {
    out << pad_left(row.rank, rank_width) << "  " << pad_left(row.score, score_width) << "  "
        << pad_left(row.price, price_width) << "  " << row.assignments.front() << "\n";
    for (size_t i = 1; i < row.assignments.size(); ++i) {
      out << indent << row.assignments[i] << "\n";
    }
  }
}

void write_diagnosis(std::ostringstream& out, const json& resolution, const Names& names) {
  const json& diagnosis =
      resolution.contains("diagnosis") ? resolution["diagnosis"] : json::object();
  out << "not satisfiable:\n";
  const json& summary = list(diagnosis, "summary");
  if (summary.empty()) out << "  (the resolver gave no diagnosis)\n";
  for (const json& line : summary) {
    if (line.is_string()) out << "  " << line.get<std::string>() << "\n";
  }
  const json& misses = list(diagnosis, "nearest_misses");
  if (!misses.empty()) {
    out << "nearest misses:\n";
    for (const json& miss : misses) {
      long long failed = static_cast<long long>(number(miss, "failed_constraints"));
      std::string provider = text(miss, "provider_id");
      out << "  " << names.requirement(text(miss, "requirement")) << ": "
          << names.offering(text(miss, "offering"))
          << (provider.empty() ? "" : " (" + provider + ")") << ", "
          << plural(failed, "failed constraint", "failed constraints") << "\n";
      for (const json& f : list(miss, "failures")) out << "    - " << failure_text(f) << "\n";
    }
  }
  const json& refusals = list(resolution, "refusals");
  if (!refusals.empty()) {
    out << "provider refusals:\n";
    for (const json& refusal : refusals) {
      std::string scope = text(refusal, "scope");
      out << "  " << first_non_empty({text(refusal, "provider_id"), text(refusal, "provider")})
          << ": "
          << first_non_empty({text(refusal, "label"), text(refusal, "prerequisite"), "refused"})
          << (scope.empty() || scope == "provider" ? "" : " (for " + scope + ")") << "\n";
      for (const json& f : list(refusal, "failures")) out << "    - " << failure_text(f) << "\n";
    }
    auto total = static_cast<long long>(number(resolution, "refusals_total"));
    auto listed = static_cast<long long>(refusals.size());
    if (total > listed) {
      out << "  ... and " << (total - listed) << " more; most often:\n";
      const json& groups = list(resolution, "refused_for");
      for (size_t i = 0; i < groups.size() && i < 3; ++i) {
        out << "    - " << static_cast<long long>(number(groups[i], "providers"))
            << " providers: " << failure_text(groups[i]) << "\n";
      }
    }
  }
}

void write_warnings(std::ostringstream& out, const json& resolution, const Names& names) {
  for (const json& warning : list(resolution, "warnings")) {
    std::string requirement = text(warning, "requirement");
    std::string code = text(warning, "code");
    out << "warning: " << (code.empty() ? "" : "[" + code + "] ")
        << (requirement.empty() ? "" : names.requirement(requirement) + ": ")
        << first_non_empty({text(warning, "message"), text(warning, "path")}) << "\n";
  }
}

}  // namespace

std::string format_resolution(const json& resolution) {
  std::ostringstream out;
  Names names(resolution);
  auto answers = static_cast<long long>(list(resolution, "answers").size());
  auto considered = static_cast<long long>(number(resolution, "answers_considered"));
  std::string currency = text(resolution, "currency");
  out << "resolution " << first_non_empty({text(resolution, "id"), "(no id)"}) << ": "
      << plural(answers, "answer", "answers") << " in " << (currency.empty() ? "-" : currency)
      << " (" << considered << " considered)\n";
  if (resolution.is_object() && resolution.value("search_exhausted", false)) {
    out << "note: the search stopped at its node budget; these answers may not be the best\n";
  }
  write_answers(out, resolution);
  bool satisfiable = resolution.is_object() && resolution.contains("satisfiable") &&
                     resolution["satisfiable"] == true;
  if (!satisfiable) write_diagnosis(out, resolution, names);
  write_warnings(out, resolution, names);
  return out.str();
}

std::string format_problem(long http_status, const std::string& body) {
  std::ostringstream out;
  out << "HTTP " << http_status;
  json problem = json::parse(body, nullptr, false);
  if (!problem.is_object()) {
    if (!body.empty()) out << ": " << body.substr(0, 500);
    out << "\n";
    return out.str();
  }
  if (!text(problem, "title").empty()) out << " " << text(problem, "title");
  if (!text(problem, "reason").empty()) out << " (" << text(problem, "reason") << ")";
  if (!text(problem, "field").empty()) out << " [" << text(problem, "field") << "]";
  if (!text(problem, "detail").empty()) out << ": " << text(problem, "detail");
  out << "\n";
  if (problem.contains("line") && problem["line"].is_number()) {
    out << "  at line " << problem["line"].get<long long>();
    if (problem.contains("column") && problem["column"].is_number()) {
      out << ", column " << problem["column"].get<long long>();
    }
    out << "\n";
  }
  if (!text(problem, "trust_reason").empty()) {
    out << "  trust refused the credential: " << text(problem, "trust_reason") << "\n";
  }
  for (const json& v : list(problem, "violations")) {
    std::string where = text(v, "focus_node");
    if (!text(v, "path").empty()) where += (where.empty() ? "" : " ") + text(v, "path");
    out << "  - " << (where.empty() ? "" : where + ": ")
        << first_non_empty({text(v, "message"), text(v, "constraint")});
    if (!text(v, "value").empty()) out << " (value " << text(v, "value") << ")";
    out << "\n";
  }
  return out.str();
}

}  // namespace mpli::cli
