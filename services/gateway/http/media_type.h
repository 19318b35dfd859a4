// Media types at the REST edge: what a request body is (Content-Type) and which representation
// to answer with (Accept, RFC 9110 §12.5.1).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mpli::gateway {

// "Text/Turtle; charset=utf-8" -> "text/turtle"; "" when the value names no type/subtype.
std::string media_type_of(std::string_view content_type);

// Which of `offered` (lower-case, the server's preference first) answers the Accept header
// `accept`: the one the client weighs highest, each weighed by the most specific range that
// matches it (text/turtle over text/* over */*); among equal weights the server's order.
// An absent or empty header accepts anything. nullopt: nothing offered is acceptable (406).
std::optional<std::string> negotiate(std::string_view accept,
                                     const std::vector<std::string>& offered);

}  // namespace mpli::gateway
