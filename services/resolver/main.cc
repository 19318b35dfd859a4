// mpli-resolver: Matches consumer needs against every offering, both directions, with SHACL.
#include "libs/service/runtime.h"
#include "services/resolver/wiring.h"

int main(int argc, char** argv) {
  return mpli::service::run_service(mpli::resolver::definition(), argc, argv);
}
