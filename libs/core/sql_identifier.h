// SQL identifiers in statements built as text (PostgreSQL's quoting: double quotes around, an
// inner double quote doubled). For names in hand without a connection to quote them: the hub's
// own schema names, a table name read from a catalogue and sent to another server.
#pragma once

#include <string>

namespace mpli {

// "name", every inner " doubled: exactly this identifier, whatever it holds (case, spaces,
// dots); also a pg_dump pattern that matches only it (nothing inside quotes is a wildcard).
std::string quote_identifier(const std::string& name);

}  // namespace mpli
