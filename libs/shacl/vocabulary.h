// The SHACL vocabulary (sh: terms) interned once into a TermTable, so the compiler and the
// validator compare ids instead of strings.
#pragma once

#include <string_view>

#include "libs/rdf/term_table.h"

namespace mpli::shacl {

inline constexpr std::string_view kShNamespace = "http://www.w3.org/ns/shacl#";

// X(member, local name): one line per sh: term the engine reads or writes.
// The formatter reflows this table differently on every pass, so it is left as written.
// clang-format off
#define MPLI_SHACL_TERMS(X)                                                                    \
  X(node_shape, "NodeShape") X(property_shape, "PropertyShape") X(shape, "Shape")              \
  X(target_node, "targetNode") X(target_class, "targetClass")                                  \
  X(target_subjects_of, "targetSubjectsOf") X(target_objects_of, "targetObjectsOf")            \
  X(path, "path") X(inverse_path, "inversePath") X(alternative_path, "alternativePath")        \
  X(zero_or_more_path, "zeroOrMorePath") X(one_or_more_path, "oneOrMorePath")                  \
  X(zero_or_one_path, "zeroOrOnePath") X(deactivated, "deactivated") X(severity, "severity")   \
  X(message, "message") X(violation, "Violation") X(warning, "Warning") X(info, "Info")        \
  X(klass, "class") X(datatype, "datatype") X(node_kind, "nodeKind") X(min_count, "minCount")  \
  X(max_count, "maxCount") X(min_exclusive, "minExclusive") X(min_inclusive, "minInclusive")   \
  X(max_exclusive, "maxExclusive") X(max_inclusive, "maxInclusive")                            \
  X(min_length, "minLength") X(max_length, "maxLength") X(pattern, "pattern")                  \
  X(flags, "flags") X(language_in, "languageIn") X(unique_lang, "uniqueLang")                  \
  X(equals, "equals") X(disjoint, "disjoint") X(less_than, "lessThan")                         \
  X(less_than_or_equals, "lessThanOrEquals") X(sh_not, "not") X(sh_and, "and") X(sh_or, "or")  \
  X(sh_xone, "xone") X(node, "node") X(property, "property")                                   \
  X(qualified_value_shape, "qualifiedValueShape")                                              \
  X(qualified_min_count, "qualifiedMinCount") X(qualified_max_count, "qualifiedMaxCount")      \
  X(qualified_value_shapes_disjoint, "qualifiedValueShapesDisjoint") X(closed, "closed")       \
  X(ignored_properties, "ignoredProperties") X(has_value, "hasValue") X(sh_in, "in")           \
  X(iri, "IRI") X(blank_node, "BlankNode") X(literal, "Literal")                               \
  X(blank_node_or_iri, "BlankNodeOrIRI") X(blank_node_or_literal, "BlankNodeOrLiteral")        \
  X(iri_or_literal, "IRIOrLiteral") X(validation_report, "ValidationReport")                   \
  X(validation_result, "ValidationResult") X(conforms, "conforms") X(result, "result")         \
  X(focus_node, "focusNode") X(result_path, "resultPath") X(value, "value")                    \
  X(source_shape, "sourceShape") X(source_constraint_component, "sourceConstraintComponent")   \
  X(result_severity, "resultSeverity") X(result_message, "resultMessage")
// clang-format on

struct Vocabulary {
  explicit Vocabulary(rdf::TermTable& terms);
#define MPLI_SHACL_MEMBER(member, local) rdf::TermId member = rdf::kNoTerm;
  MPLI_SHACL_TERMS(MPLI_SHACL_MEMBER)
#undef MPLI_SHACL_MEMBER
};

}  // namespace mpli::shacl
