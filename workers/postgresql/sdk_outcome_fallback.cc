// TEMPORARY, deleted when the worker SDK (libs/worker, target mpli_worker) is merged: Outcome's
// two factories as libs/worker/worker.h declares them, so this worker's library and tests link
// before the SDK exists. CMake compiles this file only when the target mpli_worker is absent.
#include "libs/worker/worker.h"

namespace mpli::worker {

Outcome Outcome::success(StringMap outputs, StringMap secrets, std::string message) {
  Outcome outcome;
  outcome.succeeded = true;
  outcome.outputs = std::move(outputs);
  outcome.secrets = std::move(secrets);
  outcome.message = std::move(message);
  return outcome;
}

Outcome Outcome::failure(std::string message, bool retryable) {
  Outcome outcome;
  outcome.message = std::move(message);
  outcome.retryable = retryable;
  return outcome;
}

}  // namespace mpli::worker
