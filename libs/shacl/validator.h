// Validates a data graph against a compiled ShapesProgram and yields SHACL validation results.
// One Validator per data graph; it caches class closures and regex outcomes across focus nodes.
#pragma once

#include <cstdint>
#include <unordered_map>
#include <vector>

#include "libs/rdf/graph.h"
#include "libs/shacl/shapes.h"

namespace mpli::shacl {

struct ValidationResult {
  TermId focus = rdf::kNoTerm;
  TermId value = rdf::kNoTerm;          // kNoTerm when the result has no sh:value
  uint32_t shape = 0;                   // index into ShapesProgram::shapes (sh:sourceShape)
  Component component = Component::kClass;
  TermId path_predicate = rdf::kNoTerm; // sh:closed results: the offending predicate
};

struct ValidationReport {
  bool conforms = true;
  std::vector<ValidationResult> results;
};

class Validator {
 public:
  // `data` must share the program's TermTable (load both graphs with one TermTablePtr).
  Validator(const ShapesProgram& program, const rdf::Graph& data);

  // Validates every focus node of every shape with targets.
  ValidationReport validate();
  // Validates one node against one shape, appending its results; true when it conforms.
  bool validate_node(uint32_t shape, TermId focus, std::vector<ValidationResult>* results);

  // Node sets SHACL defines over the data graph, exposed for tests and matching.
  bool is_instance_of(TermId node, TermId klass);
  void focus_nodes(const Shape& shape, std::vector<TermId>* out);
  void evaluate_path(const Path& path, TermId node, std::vector<TermId>* out);

 private:
  bool validate_shape(uint32_t shape_index, TermId focus, std::vector<ValidationResult>* out,
                      int depth);
  bool conforms(uint32_t shape_index, TermId node, int depth) {
    return validate_shape(shape_index, node, nullptr, depth);
  }
  bool check(const Shape& shape, uint32_t shape_index, const Constraint& c, TermId focus,
             const std::vector<TermId>& values, std::vector<ValidationResult>* out, int depth);
  void path_step(const Path& path, TermId node, std::vector<TermId>* out);
  void inverse_step(const Path& path, TermId node, std::vector<TermId>* out);
  const std::vector<TermId>& superclasses(TermId klass);
  bool matches_pattern(const Constraint& c, TermId value);
  std::vector<TermId>& scratch(int depth);

  const ShapesProgram& program_;
  const rdf::Graph& data_;
  const rdf::TermTable& terms_;
  const Vocabulary& sh_;
  std::unordered_map<TermId, std::vector<TermId>> superclass_cache_;
  std::vector<std::vector<uint8_t>> regex_cache_;   // per regex, indexed by term id
  std::vector<std::vector<TermId>> scratch_;        // value-node buffers, one per nesting depth
};

}  // namespace mpli::shacl
