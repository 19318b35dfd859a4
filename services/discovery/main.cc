// mpli-discovery: Provider manifests in, federated catalogue out.
#include "libs/service/runtime.h"
#include "services/discovery/wiring.h"

int main(int argc, char** argv) {
  return mpli::service::run_service(mpli::discovery::definition(), argc, argv);
}
