// Validates a data graph against a compiled ShapesProgram and yields SHACL validation results.
// One Validator per data graph: it memoises per-term outcomes so shared values are checked once.
#pragma once

#include <algorithm>
#include <cstdint>
#include <deque>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "libs/rdf/graph.h"
#include "libs/shacl/shapes.h"

namespace mpli::shacl {

struct ValidationResult {
  TermId focus = rdf::kNoTerm;
  TermId value = rdf::kNoTerm;  // kNoTerm when the result has no sh:value
  uint32_t shape = 0;           // index into ShapesProgram::shapes (sh:sourceShape)
  Component component = Component::kClass;
  TermId path_predicate = rdf::kNoTerm;  // sh:closed results: the offending predicate
  uint32_t constraint = 0;               // index into the shape's constraints (for messages)
};

struct ValidationReport {
  bool conforms = true;
  std::vector<ValidationResult> results;
};

// Validates `data` against every targeted shape; fails when the graphs do not share the
// program's TermTable (ids would not be comparable).
Result<ValidationReport> validate(const ShapesProgram& program, const rdf::Graph& data);

class Validator {
 public:
  // `data` must share the program's TermTable (load both graphs with one TermTablePtr);
  // the free function validate() checks that.
  Validator(const ShapesProgram& program, const rdf::Graph& data);

  // Points the validator at another data graph over the same TermTable, keeping its
  // allocations: the resolver checks one offering per provider graph, thousands per request.
  // Outcomes memoised for the previous graph are forgotten.
  void rebind(const rdf::Graph& data);
  const rdf::Graph& data() const { return *data_; }

  // Validates every focus node of every shape with targets.
  ValidationReport validate();
  // Validates one node against one shape, appending its results; true when it conforms.
  // `depth` is the nesting level the check stands for (1: a node shape's property shape), as
  // recursion deeper than kMaxShapeNesting is cut.
  bool validate_node(uint32_t shape, TermId focus, std::vector<ValidationResult>* results,
                     int depth = 0);

  // Node sets SHACL defines over the data graph, exposed for tests and matching.
  bool is_instance_of(TermId node, TermId klass);
  void focus_nodes(const Shape& shape, std::vector<TermId>* out);
  void evaluate_path(const Path& path, TermId node, std::vector<TermId>* out);

 private:
  bool validate_shape(uint32_t shape_index, TermId focus, std::vector<ValidationResult>* out,
                      int depth);
  // Memoised per (shape, node): a node's conformance to a shape does not change during a run.
  bool conforms(uint32_t shape_index, TermId node, int depth) {
    if (!dense_memo_) return conforms_sparse(shape_index, node, depth);
    std::vector<uint8_t>& cache = conform_cache_[shape_index];
    if (cache.size() <= node) cache.resize(std::max<size_t>(terms_.size(), node + 1), 0);
    if (cache[node] != 0) return cache[node] == 1;
    bool ok = validate_shape(shape_index, node, nullptr, depth);
    conform_cache_[shape_index][node] = ok ? 1 : 2;
    return ok;
  }
  bool conforms_sparse(uint32_t shape_index, TermId node, int depth);
  bool check(const Shape& shape, uint32_t shape_index, const Constraint& c, TermId focus,
             const std::vector<TermId>& values, std::vector<ValidationResult>* out, int depth);
  void path_step(const Path& path, TermId node, std::vector<TermId>* out);
  void inverse_step(const Path& path, TermId node, std::vector<TermId>* out);
  const std::vector<TermId>& superclasses(TermId klass);
  bool matches_pattern(const Constraint& c, TermId value);
  std::vector<TermId>& scratch(int depth);

  const ShapesProgram& program_;
  const rdf::Graph* data_;  // a pointer: rebind() moves the validator to another graph
  const rdf::TermTable& terms_;
  const Vocabulary& sh_;
  std::unordered_map<TermId, std::vector<TermId>> superclass_cache_;
  std::vector<std::vector<uint8_t>> regex_cache_;    // per regex, indexed by term id
  std::vector<std::vector<uint8_t>> value_cache_;    // per constraint id: 0 unknown, 1 ok, 2 fail
  std::vector<std::vector<uint8_t>> conform_cache_;  // per shape index: 0 unknown, 1 ok, 2 fail
  // The caches above hold a byte per term of the whole TermTable. A small graph over a large
  // shared table (the resolver checks one provider's graph at a time against the terms of the
  // whole catalogue) would pay for the table, not the graph: then conformance is memoised in
  // a map and value and pattern outcomes are not memoised at all.
  bool dense_memo_ = true;
  std::unordered_map<uint64_t, bool> sparse_conform_cache_;  // (shape << 32 | node)
  std::vector<std::vector<TermId>> scratch_;  // value-node buffers, one per nesting depth

  // Reusable buffers for path evaluation, handed out as a stack (a deque keeps references
  // stable while it grows), so complex paths allocate nothing once warmed up.
  class BufferLease {
   public:
    explicit BufferLease(Validator& v) : v_(v) {
      if (v_.buffers_used_ == v_.buffers_.size()) v_.buffers_.emplace_back();
      buffer_ = &v_.buffers_[v_.buffers_used_++];
      buffer_->clear();
    }
    ~BufferLease() { --v_.buffers_used_; }
    BufferLease(const BufferLease&) = delete;
    BufferLease& operator=(const BufferLease&) = delete;
    std::vector<TermId>& get() { return *buffer_; }

   private:
    Validator& v_;
    std::vector<TermId>* buffer_;
  };
  std::deque<std::vector<TermId>> buffers_;
  std::vector<std::string_view> lang_scratch_;  // sh:uniqueLang (never nested)
  size_t buffers_used_ = 0;
};

}  // namespace mpli::shacl
