// mpli-example-greeter: the service of docs/development.md, "Adding a service".
#include "docs/examples/greeter/wiring.h"
#include "libs/service/runtime.h"

int main(int argc, char** argv) {
  return mpli::service::run_service(mpli::greeter::definition(), argc, argv);
}
