// Runs the worker_message fuzz body (fuzz/worker_message_input.h) without libFuzzer, over the seed
// corpus and a fixed number of seeded mutations (fuzz/replay_driver.h), so ctest can run it
// under any compiler.
//   worker_message_replay [--mutations N] [--seed S] [--save-current FILE] DIR...
#include "fuzz/replay_driver.h"
#include "fuzz/worker_message_input.h"

int main(int argc, char** argv) {
  mpli::fuzz::ReplayTarget target;
  target.name = "worker_message_replay";
  target.check = mpli::fuzz::check_worker_message_input;
  return mpli::fuzz::replay_main(argc, argv, target);
}
