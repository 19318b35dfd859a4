// libFuzzer entry point for gateway_request (fuzz/gateway_request_input.h): any bytes must come
// back as a value or an error, never a crash, hang or leak.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fuzz/gateway_request_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  mpli::fuzz::check_gateway_request_input(
      std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
