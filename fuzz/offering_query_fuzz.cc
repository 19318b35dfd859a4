// Arbitrary query strings and path segments at the REST edge: parsed or refused, never a crash.
// The query goes through the gateway's own decoding (split, '+', %-escapes) first.
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>

#include "services/gateway/domain/offering_query.h"
#include "services/gateway/domain/provider_query.h"
#include "services/gateway/domain/url.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  (void)mpli::gateway::percent_decode(text);
  auto params = mpli::gateway::query_parameters(text);
  if (params.is_ok()) {
    (void)mpli::gateway::parse_offering_query(*params);
    (void)mpli::gateway::parse_provider_query(*params);
  }
  return 0;
}
