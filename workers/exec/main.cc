// mpli-worker-exec: a provider's scripts as its delivery. The offering's binding names a script
// (the artifact, relative to --script-dir); each work item runs it once (docs/worker-protocol.md).
#include "libs/core/log.h"
#include "libs/worker/work_json.h"
#include "libs/worker/worker.h"
#include "workers/exec/script.h"

namespace {

using mpli::worker::Outcome;
using mpli::worker::Work;

Outcome run_item(const std::string& script_dir, const Work& work) {
  auto script = mpli::worker::exec::resolve_script(script_dir, work.artifact());
  if (!script.is_ok()) return Outcome::failure(script.status().message(), false);
  auto deadline = std::chrono::system_clock::time_point::max();
  if (work.deadline_unix_ms() > 0) {
    deadline =
        std::chrono::system_clock::time_point(std::chrono::milliseconds(work.deadline_unix_ms()));
  }
  auto run = mpli::worker::exec::run_script(*script, mpli::worker::encode_work_item(work),
                                            {{"MPLI_OPERATION", work.operation()},
                                             {"MPLI_WORK_ID", work.work_id()},
                                             {"MPLI_ORDER_ID", work.order_id()}},
                                            deadline);
  // A script that cannot be started (bad interpreter line, no permission) will not start later.
  if (!run.is_ok()) return Outcome::failure(run.status().message(), false);
  mpli::log::info(
      "script finished",
      {{"script", work.artifact()}, {"exit_code", run->exit_code}, {"timed_out", run->timed_out}});
  return mpli::worker::exec::interpret(*run);
}

}  // namespace

int main(int argc, char** argv) {
  return mpli::worker::worker_main(
      argc, argv, "exec", {"--script-dir"},
      [](mpli::worker::Worker& worker, const mpli::worker::Flags& flags) {
        auto it = flags.extra.find("--script-dir");
        if (it == flags.extra.end() || it->second.empty()) {
          return mpli::invalid_argument("--script-dir is required");
        }
        std::string script_dir = it->second;
        for (const char* operation : {"provision", "modify", "deprovision", "export", "import"}) {
          worker.on(operation, [script_dir](const Work& work, mpli::worker::Progress&) {
            return run_item(script_dir, work);
          });
        }
        return mpli::Status::ok();
      });
}
