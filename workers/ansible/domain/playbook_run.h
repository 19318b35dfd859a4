// The Ansible worker's decisions, free of processes and files: which playbook an artifact names,
// the extra vars a run gets, what a failed run's output says, and the outputs a playbook wrote.
#pragma once

#include <map>
#include <string>

#include "libs/core/status.h"

namespace mpli::ansibleworker {

using StringMap = std::map<std::string, std::string>;

// The artifact as a path relative to the playbook directory: kInvalidArgument when it is empty,
// absolute, or has a "..", "." or empty segment (a lexical check; the runner also resolves
// symbolic links before it runs anything).
Result<std::string> playbook_relative_path(const std::string& artifact);

// What a run's extra vars are made of besides the order's parameters.
struct RunVariables {
  std::string order_id;
  std::string operation;
  std::string work_id;
  std::string state_dir;     // mpli_state_dir: where playbooks keep what they make
  std::string outputs_file;  // mpli_outputs_file
  std::string secrets_file;  // mpli_secrets_file
};

// The --extra-vars document: each parameter by name, mpli_parameters (all of them as a mapping)
// and the mpli_* variables. Written as YAML (a JSON document whose strings carry the `!unsafe`
// tag): extra vars are templated wherever a playbook uses them, so a parameter value such as
// "{{ lookup('pipe', ...) }}" would otherwise run a command on the provider's host. Parameter
// names must be plain identifiers and must not start with "mpli_" or "ansible_" or be one of
// Ansible's magic variables (a consumer must not choose the connection, the interpreter or
// privilege escalation): kInvalidArgument naming the field.
Result<std::string> extra_vars_document(const StringMap& parameters, const RunVariables& vars);

// A failed run as the outcome says it.
struct RunFailure {
  std::string message;
  bool retryable = false;
};

// From ansible-playbook's exit code and output (default callback, no colour): the last task that
// failed (not ignored) with its "msg" and the last line of its stderr, or the "ERROR!" line, or
// the last line printed. Retryable only when a host was UNREACHABLE.
RunFailure describe_failure(int exit_code, const std::string& output);

// A playbook's outputs (or secrets) file: one JSON object; strings stay as they are, other
// values become their JSON text. kInvalidArgument when it is not a JSON object.
Result<StringMap> parse_outputs(const std::string& text);

}  // namespace mpli::ansibleworker
