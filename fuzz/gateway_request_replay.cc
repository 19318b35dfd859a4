// Runs the gateway_request fuzz body (fuzz/gateway_request_input.h) without libFuzzer, over the
// seed corpus and a fixed number of seeded mutations (fuzz/replay_driver.h), so ctest can run it
// under any compiler.
//   gateway_request_replay [--mutations N] [--seed S] [--save-current FILE] DIR...
#include "fuzz/gateway_request_input.h"
#include "fuzz/replay_driver.h"

int main(int argc, char** argv) {
  mpli::fuzz::ReplayTarget target;
  target.name = "gateway_request_replay";
  target.check = mpli::fuzz::check_gateway_request_input;
  // The first byte picks the parser (fuzz/gateway_request_input.h).
  target.selectors = "omgjtskaiqhrb";
  return mpli::fuzz::replay_main(argc, argv, target);
}
