// mpli-delivery: Orders become work items for provider workers; one order flow, one bill.
#include "libs/service/runtime.h"
#include "services/delivery/wiring.h"

int main(int argc, char** argv) {
  return mpli::service::run_service(mpli::delivery::definition(), argc, argv);
}
