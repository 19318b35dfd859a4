// The Ansible worker's own flag (beyond worker_main's): --playbook-dir, read into the runner's
// configuration and checked before any work is taken.
#pragma once

#include <string>
#include <vector>

#include "libs/core/status.h"
#include "libs/worker/worker.h"
#include "workers/ansible/ansible_runner.h"

namespace mpli::ansibleworker {

const std::vector<std::string>& extra_flags();

// kInvalidArgument when --playbook-dir or --state-dir is missing, kFailedPrecondition when the
// playbook directory is not a directory or ansible-playbook is not installed.
Result<RunnerConfig> config_from_flags(const worker::Flags& flags);

}  // namespace mpli::ansibleworker
