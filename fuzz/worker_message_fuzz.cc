// libFuzzer entry point for worker_message (fuzz/worker_message_input.h): any bytes must come back
// as a value or an error, never a crash, hang or leak.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fuzz/worker_message_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  mpli::fuzz::check_worker_message_input(
      std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
