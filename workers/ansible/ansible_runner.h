// Runs one work item as a real `ansible-playbook -i localhost, -c local <playbook>` with the
// item's extra vars, within the item's deadline (the whole process group is killed after it),
// and turns the run into an Outcome: success with the outputs the playbook wrote, or a failure
// with the failed task's message (retryable only when a host was unreachable).
#pragma once

#include <chrono>
#include <string>

#include "libs/core/status.h"
#include "libs/worker/worker.h"

namespace mpli::ansibleworker {

struct RunnerConfig {
  std::string playbook_dir;  // artifacts are playbooks relative to it
  // Required: runs (extra vars, outputs), Ansible's temporary files and home, and
  // mpli_state_dir (<state_dir>/playbook-state) live here.
  std::string state_dir;
  std::string ansible_playbook = "ansible-playbook";                 // program, looked up on PATH
  std::chrono::milliseconds default_timeout{std::chrono::hours(1)};  // items without a deadline
  // After the deadline: SIGTERM to the process group, SIGKILL after this grace.
  std::chrono::milliseconds kill_grace{std::chrono::seconds(5)};
};

class AnsibleRunner {
 public:
  explicit AnsibleRunner(RunnerConfig config);
  // Every operation is one run of the artifact's playbook (it reads mpli_operation).
  worker::Outcome run(const worker::Work& work, worker::Progress& progress) const;

 private:
  RunnerConfig config_;
};

}  // namespace mpli::ansibleworker
