// libFuzzer entry point for credential tokens (fuzz/credential_token_input.h): any bytes must
// come back as a verdict, never a crash, hang or leak.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fuzz/credential_token_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  mpli::fuzz::check_credential_token_input(
      std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
