// Arbitrary query strings and path segments at the REST edge: parsed or refused, never a crash.
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>

#include "services/gateway/domain/offering_query.h"
#include "services/gateway/domain/url.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  (void)mpli::gateway::percent_decode(text);
  std::map<std::string, std::string> params;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find('&', start);
    if (end == std::string::npos) end = text.size();
    std::string pair = text.substr(start, end - start);
    size_t eq = pair.find('=');
    params[pair.substr(0, eq)] = eq == std::string::npos ? "" : pair.substr(eq + 1);
    start = end + 1;
  }
  (void)mpli::gateway::parse_offering_query(params);
  return 0;
}
