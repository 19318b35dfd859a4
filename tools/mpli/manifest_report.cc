#include "tools/mpli/manifest_report.h"

#include <algorithm>
#include <cctype>
#include <sstream>
#include <utility>
#include <vector>

#include "libs/core/violation_json.h"

namespace mpli::cli {
namespace {

constexpr std::pair<const char*, const char*> kPrefixes[] = {
    {"mpli:", "https://w3id.org/mpli#"},
    {"gx:", "https://w3id.org/gaia-x/development#"},
    {"schema:", "https://schema.org/"},
    {"dcterms:", "http://purl.org/dc/terms/"},
    {"xsd:", "http://www.w3.org/2001/XMLSchema#"},
    {"sh:", "http://www.w3.org/ns/shacl#"},
    {"rdf:", "http://www.w3.org/1999/02/22-rdf-syntax-ns#"},
    {"rdfs:", "http://www.w3.org/2000/01/rdf-schema#"},
    {"vcard:", "http://www.w3.org/2006/vcard/ns#"},
};

bool is_local_name(const std::string& local) {
  for (char c : local) {
    bool ok = std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.';
    if (!ok) return false;
  }
  return !local.empty() && local.back() != '.';
}

// As the gateway names it in a problem body: "manifest_shape".
std::string reason_name(discovery::v1::ErrorReason reason) {
  std::string name = discovery::v1::ErrorReason_Name(reason);
  for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return name;
}

std::string severity_word(const std::string& severity) {
  if (severity.find("Warning") != std::string::npos) return "warning";
  if (severity.find("Info") != std::string::npos) return "info";
  return "error";
}

// "Offering "Nordwolke VM S" <https://...#vm-s> (line 121)"
std::string heading(const discovery::ManifestNode& node) {
  std::string text = node.kind == "provider" ? "Provider" : "Offering";
  if (!node.name.empty()) text += " \"" + node.name + "\"";
  text += " <" + node.iri + ">";
  if (node.line > 0) text += " (line " + std::to_string(node.line) + ")";
  return text;
}

void write_result(std::ostream& out, const std::string& file, const Violation& v) {
  out << "  ";
  if (v.line > 0) out << file << ":" << v.line << ":" << v.column << ": ";
  out << severity_word(v.severity) << ": ";
  if (!v.path.empty()) out << compact_iris(v.path);
  if (!v.value.empty()) out << (v.path.empty() ? "" : " ") << "= " << compact_iris(v.value);
  if (v.path.empty() && v.value.empty()) out << compact_iris(v.focus_node);
  out << "\n      " << v.message << "\n";
}

// Results grouped under their owners in the order the owners first appear; then the rest.
void write_grouped(std::ostream& out, const std::string& file,
                   const std::vector<Violation>& results,
                   const std::vector<discovery::ManifestNode>& owners) {
  for (const auto& owner : owners) {
    out << "\n" << heading(owner) << "\n";
    for (const auto& v : results) {
      if (v.owner == owner.iri) write_result(out, file, v);
    }
  }
  bool heading_written = false;
  for (const auto& v : results) {
    bool owned = false;
    for (const auto& owner : owners) owned = owned || v.owner == owner.iri;
    if (owned) continue;
    if (!heading_written) {
      out << "\n" << (owners.empty() ? "The manifest" : "Elsewhere in the manifest") << "\n";
      heading_written = true;
    }
    write_result(out, file, v);
  }
}

// The problem's message, naming the file where the hub's names the source: "upload:3:7: ..."
// (discovery) or "manifest:3:7: ..." (the resolver).
std::string message_in(const std::string& file, const discovery::ManifestProblem& problem) {
  std::string position = ":" + std::to_string(problem.line) + ":" + std::to_string(problem.column);
  for (const char* source : {"upload", "manifest"}) {
    std::string prefix = source + position + ": ";
    if (problem.line > 0 && problem.message.rfind(prefix, 0) == 0) {
      return file + position + ": " + problem.message.substr(prefix.size());
    }
  }
  return problem.message;
}

nlohmann::json owners_json(const std::vector<discovery::ManifestNode>& owners) {
  nlohmann::json list = nlohmann::json::array();
  for (const auto& o : owners) {
    list.push_back({{"iri", o.iri}, {"kind", o.kind}, {"name", o.name}, {"line", o.line}});
  }
  return list;
}

nlohmann::json list_json(const std::vector<Violation>& violations) {
  nlohmann::json list = nlohmann::json::array();
  for (const auto& v : violations) list.push_back(violation_json(v));
  return list;
}

}  // namespace

std::string compact_iris(const std::string& text) {
  std::string out;
  size_t at = 0;
  while (at < text.size()) {
    size_t open = text.find('<', at);
    if (open == std::string::npos) break;
    size_t close = text.find('>', open);
    if (close == std::string::npos) break;
    out.append(text, at, open - at);
    std::string iri = text.substr(open + 1, close - open - 1);
    std::string written = "<" + iri + ">";
    for (const auto& [prefix, ns] : kPrefixes) {
      std::string local = iri.rfind(ns, 0) == 0 ? iri.substr(std::string(ns).size()) : "";
      if (is_local_name(local)) {
        written = prefix + local;
        break;
      }
    }
    out += written;
    at = close + 1;
  }
  out.append(text, at, std::string::npos);
  return out;
}

std::string manifest_report_text(const std::string& file, const discovery::CheckOutcome& outcome) {
  std::ostringstream out;
  if (const auto* accepted = std::get_if<discovery::AcceptedManifest>(&outcome)) {
    const auto& summary = accepted->summary;
    out << file << ": the hub accepts this manifest: provider " << summary.provider_id << ", "
        << summary.offerings.size() << " offering(s)";
    if (!accepted->warnings.empty()) {
      out << ", " << accepted->warnings.size() << " warning(s)";
    }
    out << "\n";
    write_grouped(out, file, accepted->warnings, accepted->owners);
    return out.str();
  }
  const auto& problem = std::get<discovery::ManifestProblem>(outcome);
  out << file << ": the hub refuses this manifest (" << reason_name(problem.reason) << "): ";
  if (problem.reason == discovery::v1::MANIFEST_SYNTAX && problem.line > 0) {
    out << "\n  " << message_in(file, problem) << "\n";
    return out.str();
  }
  out << problem.message << "\n";
  write_grouped(out, file, problem.violations, problem.owners);
  return out.str();
}

nlohmann::json manifest_report_json(const std::string& file,
                                    const discovery::CheckOutcome& outcome) {
  nlohmann::json report{{"file", file}};
  if (const auto* accepted = std::get_if<discovery::AcceptedManifest>(&outcome)) {
    report["accepted"] = true;
    report["provider_id"] = accepted->summary.provider_id;
    report["offerings"] = accepted->summary.offerings.size();
    report["violations"] = nlohmann::json::array();
    report["warnings"] = list_json(accepted->warnings);
    report["owners"] = owners_json(accepted->owners);
    return report;
  }
  const auto& problem = std::get<discovery::ManifestProblem>(outcome);
  report["accepted"] = false;
  report["reason"] = reason_name(problem.reason);
  report["message"] = message_in(file, problem);
  if (problem.line > 0) {
    report["line"] = problem.line;
    report["column"] = problem.column;
  }
  report["violations"] = list_json(problem.violations);
  report["warnings"] = nlohmann::json::array();
  report["owners"] = owners_json(problem.owners);
  return report;
}

bool GaiaXResults::conforms() const {
  return std::none_of(violations.begin(), violations.end(), [](const Violation& v) {
    return v.severity.find("Violation") != std::string::npos;
  });
}

std::string gaia_x_report_text(const std::string& file, const GaiaXResults& results) {
  std::ostringstream out;
  out << "\nGaia-X 25.11 shapes (" << results.shapes_file << "): ";
  if (results.violations.empty()) {
    out << "the manifest conforms\n";
    return out.str();
  }
  out << results.violations.size() << " result(s)\n";
  write_grouped(out, file, results.violations, results.owners);
  return out.str();
}

nlohmann::json gaia_x_report_json(const GaiaXResults& results) {
  return {{"shapes", results.shapes_file},
          {"conforms", results.conforms()},
          {"violations", list_json(results.violations)},
          {"owners", owners_json(results.owners)}};
}

nlohmann::json consumer_accepted_json(const std::string& file, size_t requirements) {
  return {{"file", file},
          {"accepted", true},
          {"kind", "consumer"},
          {"requirements", requirements},
          {"violations", nlohmann::json::array()},
          {"warnings", nlohmann::json::array()},
          {"owners", nlohmann::json::array()}};
}

}  // namespace mpli::cli
