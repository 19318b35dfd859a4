// The one rule for provider ids (mpli:providerId). Ids become NATS subject tokens
// (mpli.work.v1.<provider_id>.<operation>), so no dots, wildcards or spaces: a DNS label.
// The manifest shapes state the same rule as sh:pattern; a unit test keeps the two equal.
#pragma once

#include <string_view>

namespace mpli::discovery {

// 1 to 63 characters of a-z, 0-9 and '-', starting and ending with a letter or a digit.
inline constexpr const char* kProviderIdPattern = "^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$";

bool valid_provider_id(std::string_view id);

}  // namespace mpli::discovery
