// mpli-trust: Verifies credentials against the hub's trust anchors; yields verified facts.
#include "libs/service/runtime.h"
#include "services/trust/wiring.h"

int main(int argc, char** argv) {
  return mpli::service::run_service(mpli::trust::definition(), argc, argv);
}
