// Idempotency-Key: the same tenant and key with the same request is the same order; with a
// different request it is a conflict. The hash names "the same request".
#pragma once

#include <string>

#include "mpli/delivery/v1/delivery.pb.h"

namespace mpli::delivery {

// sha256 (hex) over the request's deterministic encoding without its idempotency key (map
// entries sorted, so the order parameters arrive in does not matter).
std::string request_hash(const v1::CreateOrderRequest& request);

// sha256 (hex) of any message's deterministic encoding (also submit_task's "same request").
std::string deterministic_hash(const google::protobuf::Message& message);

}  // namespace mpli::delivery
