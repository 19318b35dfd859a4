// mpli-portability: Moves a running service to another provider, verified, with a switching report.
#include "libs/service/runtime.h"
#include "services/portability/wiring.h"

int main(int argc, char** argv) {
  return mpli::service::run_service(mpli::portability::definition(), argc, argv);
}
