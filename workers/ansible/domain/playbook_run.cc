#include "workers/ansible/domain/playbook_run.h"

#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <vector>

namespace mpli::ansibleworker {

namespace {

bool is_identifier(const std::string& name) {
  if (name.empty()) return false;
  for (std::size_t i = 0; i < name.size(); ++i) {
    auto c = static_cast<unsigned char>(name[i]);
    bool ok = c == '_' || (c < 0x80 && std::isalpha(c) != 0) ||
              (i > 0 && c < 0x80 && std::isdigit(c) != 0);
    if (!ok) return false;
  }
  return true;
}

// Ansible's magic and special variables: set by extra vars they would override its own.
const std::set<std::string>& reserved_names() {
  static const std::set<std::string> kNames = {
      "hostvars", "groups", "group_names", "inventory_hostname", "inventory_dir", "inventory_file",
      "play_hosts", "inventory_hostname_short", "playbook_dir", "role_path", "role_name",
      "role_names", "omit", "vars", "environment",
      // Jinja globals a variable of the same name would shadow in every template.
      "lookup", "query", "q", "range"};
  return kNames;
}

// A JSON string literal tagged !unsafe: valid YAML (JSON's escapes are YAML's), and Ansible
// never templates the value.
std::string unsafe(const std::string& value) { return "!unsafe " + nlohmann::json(value).dump(); }

}  // namespace

Result<std::string> playbook_relative_path(const std::string& artifact) {
  if (artifact.empty()) return invalid_field("artifact", "names no playbook");
  if (artifact.front() == '/') {
    return invalid_field("artifact", "must be relative to the playbook directory");
  }
  std::size_t start = 0;
  while (true) {
    std::size_t slash = artifact.find('/', start);
    std::string segment =
        artifact.substr(start, slash == std::string::npos ? slash : slash - start);
    if (segment.empty() || segment == "." || segment == "..") {
      return invalid_field("artifact", "'" + artifact + "' leaves the playbook directory");
    }
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
  return artifact;
}

Result<std::string> extra_vars_document(const StringMap& parameters, const RunVariables& vars) {
  std::vector<std::pair<std::string, std::string>> entries;
  std::string all = "{";
  for (const auto& [key, value] : parameters) {
    if (!is_identifier(key)) {
      return invalid_field(key,
                           "a parameter name must be a plain identifier ([A-Za-z_][A-Za-z0-9_]*)");
    }
    if (key.rfind("mpli_", 0) == 0 || key.rfind("ansible_", 0) == 0 ||
        reserved_names().count(key) != 0) {
      return invalid_field(key, "names a variable the worker or Ansible sets; choose another name");
    }
    entries.emplace_back(key, unsafe(value));
    if (all.size() > 1) all += ", ";
    all += nlohmann::json(key).dump() + ": " + unsafe(value);
  }
  all += "}";
  entries.emplace_back("mpli_parameters", all);
  entries.emplace_back("mpli_order_id", unsafe(vars.order_id));
  entries.emplace_back("mpli_operation", unsafe(vars.operation));
  entries.emplace_back("mpli_work_id", unsafe(vars.work_id));
  entries.emplace_back("mpli_state_dir", unsafe(vars.state_dir));
  entries.emplace_back("mpli_outputs_file", unsafe(vars.outputs_file));
  entries.emplace_back("mpli_secrets_file", unsafe(vars.secrets_file));
  std::string document = "# MPLI work item extra vars (values are !unsafe: never templated)\n";
  for (const auto& [key, value] : entries) {
    document += nlohmann::json(key).dump() + ": " + value + "\n";
  }
  return document;
}

RunFailure describe_failure(int exit_code, const std::string& output) {
  std::istringstream in(output);
  std::string line;
  std::string task;
  std::string failed_task;
  std::string failed_line;
  std::string error_line;
  std::string last_line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.find_first_not_of(" \t") == std::string::npos) continue;
    if (line.rfind("TASK [", 0) == 0) {
      auto end = line.rfind("] ");
      task = line.substr(6, end == std::string::npos || end < 6 ? std::string::npos : end - 6);
    } else if ((line.rfind("fatal: [", 0) == 0 || line.rfind("failed: [", 0) == 0) &&
               (line.find("FAILED!") != std::string::npos ||
                line.find("UNREACHABLE!") != std::string::npos)) {
      failed_task = task;
      failed_line = line;
    } else if (line.rfind("...ignoring", 0) == 0) {
      failed_line.clear();  // ignore_errors: that failure did not fail the run
    } else if (line.rfind("ERROR!", 0) == 0) {
      error_line = line;
    }
    if (line.rfind("PLAY RECAP", 0) != 0 && line.find(" : ok=") == std::string::npos) {
      last_line = line;
    }
  }
  RunFailure failure;
  if (!failed_line.empty()) {
    failure.retryable = failed_line.find("UNREACHABLE!") != std::string::npos;
    std::string detail;
    auto arrow = failed_line.find("=> ");
    if (arrow != std::string::npos) {
      auto result = nlohmann::json::parse(failed_line.substr(arrow + 3), nullptr, false);
      if (result.is_object()) {
        if (result.contains("msg") && result["msg"].is_string()) {
          detail = result["msg"].get<std::string>();
        }
        if (result.contains("stderr") && result["stderr"].is_string()) {
          std::string stderr_text = result["stderr"].get<std::string>();
          auto cut = stderr_text.find_last_of('\n');
          std::string stderr_last =
              cut == std::string::npos ? stderr_text : stderr_text.substr(cut + 1);
          if (!stderr_last.empty()) detail += (detail.empty() ? "" : ": ") + stderr_last;
        }
      }
    }
    if (detail.empty()) detail = failed_line;
    failure.message = "task '" + failed_task + "' " +
                      (failure.retryable ? "could not reach its host: " : "failed: ") + detail;
  } else if (!error_line.empty()) {
    failure.message = error_line;
  } else {
    failure.message = "ansible-playbook exited with " + std::to_string(exit_code) +
                      (last_line.empty() ? "" : ": " + last_line);
  }
  constexpr std::size_t kMaxMessage = 2000;
  if (failure.message.size() > kMaxMessage) failure.message.resize(kMaxMessage);
  return failure;
}

Result<StringMap> parse_outputs(const std::string& text) {
  auto parsed = nlohmann::json::parse(text, nullptr, false);
  if (!parsed.is_object()) return invalid_argument("the playbook's outputs are not a JSON object");
  StringMap outputs;
  for (const auto& [key, value] : parsed.items()) {
    outputs[key] = value.is_string() ? value.get<std::string>() : value.dump();
  }
  return outputs;
}

}  // namespace mpli::ansibleworker
