// Feeds arbitrary bytes to the discovery manifest check (Serd parse, SHACL validation, the
// catalogue's reading): it must return a verdict, never crash, hang or leak.
#include <cstddef>
#include <cstdint>
#include <fstream>
#include <sstream>
#include <string_view>

#include "services/discovery/domain/manifest_check.h"

namespace {
const mpli::discovery::ManifestChecker& checker() {
  static std::shared_ptr<const mpli::discovery::ManifestChecker> instance = [] {
    std::ifstream in(MPLI_SOURCE_DIR "/ontology/shapes/manifest.ttl");
    std::stringstream text;
    text << in.rdbuf();
    auto loaded = mpli::discovery::ManifestChecker::from_text(text.str());
    if (!loaded) abort();
    return *loaded;
  }();
  return *instance;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto outcome = checker().check(text, "https://fuzz.example/.well-known/mpli.ttl");
  (void)outcome;
  return 0;
}
