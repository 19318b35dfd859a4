// libFuzzer entry point for the manifest path (fuzz/manifest_input.h): it must return a verdict
// for any bytes, never crash, hang or leak.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fuzz/manifest_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  mpli::fuzz::check_manifest_input(std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
