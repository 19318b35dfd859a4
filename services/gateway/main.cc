// mpli-gateway: the single REST endpoint of the hub.
#include "libs/service/runtime.h"
#include "services/gateway/wiring.h"

int main(int argc, char** argv) {
  return mpli::service::run_service(mpli::gateway::definition(), argc, argv);
}
