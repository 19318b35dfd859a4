// Messages that say what to write, for results of the Gaia-X 25.11 shapes (`mpli manifest check
// --gaia-x`). Those shapes carry no sh:message, so the engine's text ("fewer than 1 values")
// would be all a provider sees; this table, keyed by the property a result is about, says what
// the Gaia-X node needs instead.
#pragma once

#include <string>

#include "libs/core/status.h"

namespace mpli::cli {

// The friendly message for `violation` (path in N-Triples form, "<https://w3id.org/gaia-x/
// development#legalAddress>"), or "" when the table has none for its property.
std::string gaia_x_message(const Violation& violation);

}  // namespace mpli::cli
