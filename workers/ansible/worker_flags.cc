#include "workers/ansible/worker_flags.h"

#include <unistd.h>

#include <filesystem>

#include "libs/process/child_process.h"

namespace mpli::ansibleworker {

const std::vector<std::string>& extra_flags() {
  static const std::vector<std::string> kFlags = {"--playbook-dir"};
  return kFlags;
}

Result<RunnerConfig> config_from_flags(const worker::Flags& flags) {
  RunnerConfig config;
  // The SDK's map is keyed by the flag as declared; a bare name is accepted too.
  for (const char* key : {"--playbook-dir", "playbook-dir"}) {
    auto it = flags.extra.find(key);
    if (it != flags.extra.end() && !it->second.empty()) config.playbook_dir = it->second;
  }
  if (config.playbook_dir.empty()) {
    return invalid_field("--playbook-dir", "required: the directory of the provider's playbooks");
  }
  if (!std::filesystem::is_directory(config.playbook_dir)) {
    return failed_precondition("--playbook-dir " + config.playbook_dir + " is not a directory");
  }
  config.state_dir = flags.options.state_dir;
  if (config.state_dir.empty()) {
    return invalid_field("--state-dir",
                         "required: runs, Ansible's temporary files and the playbooks' state live "
                         "there");
  }
  std::string program = process::find_program(config.ansible_playbook);
  if (access(program.c_str(), X_OK) != 0) {
    return failed_precondition(
        "ansible-playbook is not installed (Debian: apt-get install ansible-core)");
  }
  return config;
}

}  // namespace mpli::ansibleworker
