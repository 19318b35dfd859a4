// One run of a provider's script: the exec worker's contract (docs/worker-protocol.md).
#pragma once

#include <chrono>
#include <map>
#include <string>

#include "libs/core/status.h"
#include "libs/worker/worker.h"

namespace mpli::worker::exec {

// The script for `artifact` under `script_dir`: a relative path that stays inside the directory
// (no "..", not absolute, no symlink out of it). kInvalidArgument otherwise.
Result<std::string> resolve_script(const std::string& script_dir, const std::string& artifact);

struct ScriptRun {
  int exit_code = -1;  // -1: killed (the timeout)
  bool timed_out = false;
  std::string stdout_text;  // the first kMaxOutput bytes
  std::string stderr_tail;  // the last kMaxOutput bytes
};

// Runs `program` in its own process group with `input` on stdin and `environment` added; after
// `deadline` (a time_point; max() for none) the whole group is killed.
Result<ScriptRun> run_script(const std::string& program, const std::string& input,
                             const std::map<std::string, std::string>& environment,
                             std::chrono::system_clock::time_point deadline);

// The outcome a finished run stands for: exit 0 with {"outputs","secrets","message"} on stdout
// is success; 75 is a retryable failure; anything else a permanent one with stderr's last line.
Outcome interpret(const ScriptRun& run);

}  // namespace mpli::worker::exec
