// Idempotency-Key: the same tenant and key with the same request is the same migration; with a
// different request it is IDEMPOTENCY_KEY_REUSED.
#pragma once

#include <string>

#include "mpli/portability/v1/portability.pb.h"

namespace mpli::portability {

// sha256 (hex) over the request's deterministic encoding without its idempotency key.
std::string request_hash(const v1::CreateMigrationRequest& request);

}  // namespace mpli::portability
