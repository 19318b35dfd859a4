// A producer piped into a consumer through this process (pg_dump | pg_restore): the bytes are
// relayed, so they are counted and progress can be reported, and nothing of the database is
// written to a file. libs/process has no pipeline (ChildProcess cannot redirect stdin), hence
// this small one; both exit statuses are checked by the caller.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "libs/core/status.h"

namespace mpli::pgworker {

struct PipeCommand {
  std::string program;  // absolute path, or a name looked up on PATH
  std::vector<std::string> args;
  std::map<std::string, std::string> environment;  // added to (or replacing in) the inherited one
};

struct PipeResult {
  std::uint64_t bytes = 0;  // relayed from the producer's stdout to the consumer's stdin
  int producer_exit = -1;   // exit code; -1 when killed by a signal or on timeout
  int consumer_exit = -1;
  std::string producer_output;  // its stderr (the last 64 KiB)
  std::string consumer_output;  // its stdout and stderr (the last 64 KiB)
  bool timed_out = false;       // `deadline` passed or should_stop said so: both were killed
};

// Runs both to completion (each in its own process group). `on_progress` is called with the
// bytes relayed so far about once a second. kInternal only when they cannot be started.
Result<PipeResult> run_pipe(const PipeCommand& producer, const PipeCommand& consumer,
                            std::chrono::steady_clock::time_point deadline,
                            const std::function<void(std::uint64_t)>& on_progress,
                            const std::function<bool()>& should_stop);

}  // namespace mpli::pgworker
