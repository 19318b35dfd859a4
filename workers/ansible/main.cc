// mpli-worker-ansible: runs the provider's playbook named by the order's delivery binding with
// the order's parameters as extra vars (README.md). Wiring only; the work is in AnsibleRunner.
#include <memory>

#include "libs/worker/worker.h"
#include "workers/ansible/ansible_runner.h"
#include "workers/ansible/worker_flags.h"

int main(int argc, char** argv) {
  return mpli::worker::worker_main(
      argc, argv, "ansible", mpli::ansibleworker::extra_flags(),
      [](mpli::worker::Worker& worker, const mpli::worker::Flags& flags) -> mpli::Status {
        MPLI_ASSIGN_OR_RETURN(auto config, mpli::ansibleworker::config_from_flags(flags));
        auto runner = std::make_shared<const mpli::ansibleworker::AnsibleRunner>(std::move(config));
        // One playbook serves every operation: it reads mpli_operation.
        for (const char* operation : {"provision", "modify", "deprovision", "export", "import"}) {
          worker.on(operation,
                    [runner](const mpli::worker::Work& work, mpli::worker::Progress& progress) {
                      return runner->run(work, progress);
                    });
        }
        return mpli::Status::ok();
      });
}
