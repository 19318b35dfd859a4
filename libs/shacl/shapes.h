// The compiled form of a SHACL shapes graph: shapes, paths and constraints resolved to ids,
// regexes compiled and sh:in sets sorted once, so validation never re-reads the shapes graph.
#pragma once

#include <cstdint>
#include <memory>
#include <regex>
#include <string>
#include <string_view>
#include <vector>

#include "libs/core/status.h"
#include "libs/rdf/graph.h"
#include "libs/shacl/vocabulary.h"

namespace mpli::shacl {

using rdf::TermId;

// Bounds on every walk over a shapes graph, so hostile shapes cost an error, not the stack:
// * a path nests at most kMaxPathDepth levels and has at most kMaxPathSteps steps in all (a
//   shared blank node used twice in each of 64 nested sh:alternativePath lists would otherwise
//   expand to 2^64 steps);
// * a chain of shapes referring to shapes (sh:node, sh:property, sh:and, sh:or, sh:xone, sh:not,
//   sh:qualifiedValueShape) that does not loop back is at most kMaxShapeNesting long; the
//   validator recurses along such chains and stops recursive shapes at that depth;
// * sh:pattern is at most kMaxPatternLength characters, nests groups at most kMaxPatternGroups
//   deep, and expands counted repetitions ({n,m}) to at most kMaxPatternElements elements:
//   std::regex compiles and runs an expression by recursion over its parts.
inline constexpr int kMaxPathDepth = 64;
inline constexpr size_t kMaxPathSteps = 10000;
inline constexpr int kMaxShapeNesting = 64;
inline constexpr size_t kMaxPatternLength = 4096;
inline constexpr int kMaxPatternGroups = 32;
inline constexpr uint64_t kMaxPatternElements = 10000;

struct Path {
  enum class Kind : uint8_t {
    kPredicate,
    kInverse,
    kSequence,
    kAlternative,
    kZeroOrMore,
    kOneOrMore,
    kZeroOrOne
  };
  Kind kind = Kind::kPredicate;
  TermId predicate = rdf::kNoTerm;  // kPredicate only
  std::vector<Path> steps;          // members (sequence, alternative) or the single sub-path
};

// One per SHACL Core constraint component; qualifiedValueShape yields a min and a max entry.
enum class Component : uint8_t {
  kClass,
  kDatatype,
  kNodeKind,
  kMinCount,
  kMaxCount,
  kMinExclusive,
  kMinInclusive,
  kMaxExclusive,
  kMaxInclusive,
  kMinLength,
  kMaxLength,
  kPattern,
  kLanguageIn,
  kUniqueLang,
  kEquals,
  kDisjoint,
  kLessThan,
  kLessThanOrEquals,
  kNot,
  kAnd,
  kOr,
  kXone,
  kNode,
  kProperty,
  kQualifiedMinCount,
  kQualifiedMaxCount,
  kClosed,
  kHasValue,
  kIn
};

// Local name of the component's IRI, e.g. "ClassConstraintComponent".
std::string_view component_name(Component c);

// True for the components whose outcome is a function of the value nodes' terms alone: each
// value's term (datatype, node kind, ranges, lengths, pattern, languages, sh:in) or the set of
// them (counts, sh:hasValue, sh:uniqueLang). Not sh:class (the data graph's types), sh:closed
// (the value's triples), sh:equals and the like (the focus's other values), nor the components
// that refer to other shapes.
bool looks_at_value_terms_only(Component c);

// Node kinds as a bit set, so sh:nodeKind is a single AND at validation time.
enum NodeKindBits : uint8_t { kKindIri = 1, kKindBlank = 2, kKindLiteral = 4 };

struct Constraint {
  Component component = Component::kClass;
  TermId term = rdf::kNoTerm;        // class, datatype, bound, property, hasValue
  uint64_t number = 0;               // counts, lengths, node-kind bits
  std::vector<uint32_t> shapes;      // shape operands (not/and/or/xone/node/property/qualified)
  std::vector<uint32_t> siblings;    // qualifiedValueShapesDisjoint: the sibling shapes
  std::vector<TermId> terms;         // sorted: sh:in members, closed's allowed predicates
  std::vector<std::string> strings;  // language ranges
  uint32_t regex = 0;                // index into ShapesProgram::regexes
  uint32_t id = 0;                   // unique per program, keys validator caches
};

struct Shape {
  TermId node = rdf::kNoTerm;
  bool is_property = false;
  bool deactivated = false;
  Path path;  // property shapes only
  TermId severity = rdf::kNoTerm;
  std::vector<TermId> messages;
  std::vector<TermId> target_nodes;
  std::vector<TermId> target_classes;
  std::vector<TermId> target_subjects_of;
  std::vector<TermId> target_objects_of;
  std::vector<Constraint> constraints;

  bool has_targets() const {
    return !target_nodes.empty() || !target_classes.empty() || !target_subjects_of.empty() ||
           !target_objects_of.empty();
  }
};

struct ShapesProgram {
  rdf::TermTablePtr terms;
  std::shared_ptr<const Vocabulary> vocab;
  std::vector<Shape> shapes;
  // Compiled for libstdc++'s breadth-first matcher (std::regex_constants::__polynomial): its
  // recursion is bounded by the expression, not by the length of the value, and it cannot take
  // exponential time. Back-references, which need the backtracking matcher, are refused.
  std::vector<std::regex> regexes;
  uint32_t constraint_count = 0;
};

// Compiles every shape of `shapes_graph` (instances of sh:NodeShape/sh:PropertyShape, subjects
// of target predicates, and everything they reference). Ill-formed shapes (a bad path, a
// non-integer count, a broken list, an invalid regex, anything beyond the limits above) give an
// InvalidArgument status naming the shape and the parameter. Shapes are compiled from a work
// list, not by recursion, so any number of shapes referring to each other costs no stack.
Result<ShapesProgram> compile_shapes(const rdf::Graph& shapes_graph);

}  // namespace mpli::shacl
