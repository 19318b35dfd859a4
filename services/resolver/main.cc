// mpli-resolver: Matches consumer needs against every offering, both directions, with SHACL.
#include "libs/process/huge_pages.h"
#include "libs/service/runtime.h"
#include "services/resolver/wiring.h"

int main(int argc, char** argv) {
  // The index is hundreds of MiB read at random: 2 MiB pages for the heap (re-executes once).
  mpli::process::reexec_with_heap_huge_pages(argv);
  return mpli::service::run_service(mpli::resolver::definition(), argc, argv);
}
