// Checks many focus nodes against the same node shapes, reusing what one property shape found
// for a focus on every other focus that reaches the same values.
//
// A property shape's outcome at a focus depends only on the nodes its path reaches and on the
// graph, unless it compares the focus's own values (sh:equals, sh:disjoint, sh:lessThan,
// sh:lessThanOrEquals). When the path starts with a predicate step, the nodes it reaches are a
// function of that first step's objects. So the outcome is keyed by (property shape, the
// first step's objects, the graph), and for a shape that only looks at the value terms
// themselves (a single predicate with datatype, range, count, length, pattern, sh:in or
// sh:hasValue constraints) by the objects alone, across graphs that share the TermTable.
//
// The resolver checks one requirement shape against tens of thousands of offerings whose
// values repeat (vCPU counts, formats, the provider node every offering of a provider points
// to): this turns most checks into one lookup. The results are exactly what
// Validator::validate_node gives (shacl_node_check_cache_test compares them); node shapes with
// constraints other than sh:property are passed to the validator unchanged.
#pragma once

#include <cstdint>
#include <unordered_map>
#include <vector>

#include "libs/shacl/validator.h"

namespace mpli::shacl {

// Outcomes are keyed by the graph's address: one cache serves graphs that do not change while
// it lives (the resolver makes one per resolution, under the index's lock).
class NodeCheckCache {
 public:
  explicit NodeCheckCache(const ShapesProgram& program) : program_(program) {}

  // Same answer and results (in the same order) as validator().validate_node(shape, focus,
  // results), where `data` is the graph the validator is bound to. `validator` is called only
  // when something has to be computed, so a caller can bind a validator lazily.
  template <typename GetValidator>
  bool validate_node(uint32_t shape, TermId focus, const rdf::Graph& data, GetValidator&& validator,
                     std::vector<ValidationResult>* results) {
    return validate_node(shape, focus, data.with_subject(focus), data, validator, results);
  }
  // The same, for a caller that has the focus's triples at hand: `own` must be exactly
  // data.with_subject(focus) (each member keys on some of them).
  template <typename GetValidator>
  bool validate_node(uint32_t shape, TermId focus, rdf::TripleRange own, const rdf::Graph& data,
                     GetValidator&& validator, std::vector<ValidationResult>* results) {
    Plan& plan = plan_of(shape);
    if (!plan.cacheable) return validator().validate_node(shape, focus, results);
    bool ok = true;
    for (Member& member : plan.members) {
      ok &= check_member(member, focus, own, data, validator, results);
    }
    return ok;
  }

  // One property shape of a node shape, checked as validate_node checks it (depth 1): the
  // same answer and results as validator().validate_node(property_shape, focus, results, 1).
  // For a caller that decides some of a node shape's property shapes itself and hands the
  // others here, member by member, in the node shape's order.
  template <typename GetValidator>
  bool validate_property(uint32_t property_shape, TermId focus, rdf::TripleRange own,
                         const rdf::Graph& data, GetValidator&& validator,
                         std::vector<ValidationResult>* results) {
    auto known = members_.find(property_shape);
    if (known == members_.end()) {
      known = members_.emplace(property_shape, member_of(property_shape)).first;
    }
    return check_member(known->second, focus, own, data, validator, results);
  }

 private:
  struct Member {
    uint32_t shape = 0;              // the property shape
    bool cacheable = false;          // its outcome is keyed as above
    bool graph_independent = false;  // ... by the first step's objects alone
    TermId first_predicate = rdf::kNoTerm;
    // Values that differ for every focus (a blank node per offering) make the cache pure
    // overhead: after a trial, a member that rarely hits is evaluated directly.
    uint64_t lookups = 0;
    uint64_t hits = 0;
    bool gave_up() const { return lookups >= 512 && hits * 8 < lookups; }
  };
  struct Plan {
    bool cacheable = false;  // every constraint of the node shape is sh:property
    std::vector<Member> members;
  };
  // [shape, graph (0 when independent), objects of the first step...]
  using Key = std::vector<uint64_t>;
  struct KeyHash {
    size_t operator()(const Key& key) const;
  };
  struct Outcome {
    bool conforms = true;
    std::vector<ValidationResult> results;  // focus as first computed; replaced on use
  };

  // Property shape outcomes computed so far (the rest were reused).
 public:
  uint64_t computed() const { return computed_; }

 private:
  template <typename GetValidator>
  bool check_member(Member& member, TermId focus, rdf::TripleRange own, const rdf::Graph& data,
                    GetValidator&& validator, std::vector<ValidationResult>* results) {
    if (!member.cacheable || member.gave_up()) {
      return validator().validate_node(member.shape, focus, results, 1);
    }
    ++member.lookups;
    Key& key = key_for(member, own, data);
    auto known = outcomes_.find(key);
    if (known != outcomes_.end()) ++member.hits;
    if (known == outcomes_.end()) {
      ++computed_;
      Outcome outcome;
      outcome.conforms = validator().validate_node(member.shape, focus, &outcome.results, 1);
      known = outcomes_.emplace(key, std::move(outcome)).first;
    }
    if (results != nullptr) {
      for (ValidationResult r : known->second.results) {
        r.focus = focus;  // the property shape's own results have the focus it was asked for
        results->push_back(r);
      }
    }
    return known->second.conforms;
  }

  Plan& plan_of(uint32_t shape);
  Member member_of(uint32_t property_shape) const;
  Key& key_for(const Member& member, rdf::TripleRange own, const rdf::Graph& data);

  const ShapesProgram& program_;
  std::unordered_map<uint32_t, Plan> plans_;
  std::unordered_map<uint32_t, Member> members_;  // validate_property's, by property shape
  std::unordered_map<Key, Outcome, KeyHash> outcomes_;
  Key scratch_;  // the key being looked up; reused so a hit allocates nothing
  uint64_t computed_ = 0;
};

}  // namespace mpli::shacl
