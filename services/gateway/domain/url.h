// URL helpers for the REST edge: path segments carry IRIs percent-encoded.
#pragma once

#include <optional>
#include <string>

namespace mpli::gateway {

// "%2F" -> "/"; nullopt on a malformed escape. '+' stays '+' (paths are not forms).
std::optional<std::string> percent_decode(const std::string& text);

}  // namespace mpli::gateway
