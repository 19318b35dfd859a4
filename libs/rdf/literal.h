// Literal semantics SHACL needs: value comparison across XSD numeric and date types,
// lexical well-formedness per datatype, language-tag matching and string length in characters.
#pragma once

#include <cstddef>
#include <optional>
#include <string_view>

#include "libs/rdf/term_table.h"

namespace mpli::rdf {

// Orders two terms as SPARQL's < and = would: numbers by value across integer, decimal, float
// and double (and their derived types); dateTimes and dates by instant when both or neither
// carry a time zone; strings and booleans among themselves. nullopt means "not comparable"
// (different value spaces, ill-formed literals, non-literals).
std::optional<int> compare_values(const TermTable& terms, TermId a, TermId b);

// True when the literal's lexical form is in its datatype's lexical space (and, for integer
// subtypes, within range). Datatypes this library does not know are treated as well-formed.
bool is_well_formed(const TermTable& terms, TermId literal);

bool is_numeric_datatype(std::string_view datatype_iri);

// RFC 4647 basic filtering, as SPARQL langMatches: "*" matches any non-empty tag; otherwise the
// range must equal the tag or be a prefix of it ending at a '-', ignoring case.
bool lang_matches(std::string_view tag, std::string_view range);

// Number of Unicode code points in UTF-8 text.
size_t utf8_length(std::string_view text);

}  // namespace mpli::rdf
