// URL encoding and decoding for the REST edge: path segments carry IRIs percent-encoded, and query
// strings are form-encoded ('+' is a space) as browsers and curl --data-urlencode send them.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "libs/core/status.h"

namespace mpli::gateway {

// Every byte but the unreserved ones (RFC 3986: A-Z a-z 0-9 - . _ ~) as %XX: a path segment
// or a query value that reads back as itself. The gateway's Location headers and the CLI's
// requests both encode with this one function.
std::string percent_encode(std::string_view text);

// "%2F" -> "/"; nullopt on a malformed escape. '+' stays '+' (paths are not forms).
std::optional<std::string> percent_decode(std::string_view text);

// "q=PostgreSQL%20S&kind=x" -> {{"q", "PostgreSQL S"}, {"kind", "x"}}, in order: pairs split on
// '&' and the first '=', '+' read as a space, then percent-decoded; empty pairs are skipped. A
// malformed escape is kInvalidArgument naming the parameter.
Result<std::vector<std::pair<std::string, std::string>>> parse_query_string(std::string_view raw);

// The same as a map; a parameter given twice is refused rather than one copy silently winning.
Result<std::map<std::string, std::string>> query_parameters(std::string_view raw);

}  // namespace mpli::gateway
