// The correlation id that follows one request through the gateway and every service it asks.
#pragma once

#include <string>
#include <string_view>

namespace mpli::gateway {

// Request header a client may send its own id in, and the answer's header carrying the id used.
inline constexpr const char* kRequestIdHeader = "X-Request-Id";

// Whether `value` may be used as it is: 1..128 characters of [A-Za-z0-9._-]. Anything else
// (spaces, quotes, control characters) could forge log fields or headers, so it is replaced.
bool is_sane_request_id(std::string_view value);

// The client's id when it is sane, else a new UUIDv7.
std::string correlation_id_for(std::string_view client_value);

}  // namespace mpli::gateway
