// An in-memory RDF graph over interned terms, indexed for subject-, predicate- and object-driven
// lookups. Front ends (Serd today, JSON-LD later) only call add(); the indexes are theirs to
// ignore.
#pragma once

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "libs/rdf/term_table.h"

namespace mpli::rdf {

struct Triple {
  TermId s;
  TermId p;
  TermId o;
  bool operator==(const Triple& other) const {
    return s == other.s && p == other.p && o == other.o;
  }
};

// A contiguous run of triples inside one of the graph's sorted indexes.
class TripleRange {
 public:
  TripleRange() = default;
  TripleRange(const Triple* b, const Triple* e) : begin_(b), end_(e) {}
  const Triple* begin() const { return begin_; }
  const Triple* end() const { return end_; }
  size_t size() const { return static_cast<size_t>(end_ - begin_); }
  bool empty() const { return begin_ == end_; }

 private:
  const Triple* begin_ = nullptr;
  const Triple* end_ = nullptr;
};

// Triples are appended to a buffer; the first lookup after a change sorts them into two
// permutations (SPO and POS: 24 bytes per triple in total, plus 4 bytes per subject id for a
// direct subject offset table) and removes duplicates. Lookups are
// binary searches returning ranges, so they allocate nothing. Call index() before sharing a
// graph between threads: lookups on an indexed graph are read-only.
class Graph {
 public:
  explicit Graph(TermTablePtr terms = std::make_shared<TermTable>());

  TermTable& terms() { return *terms_; }
  const TermTable& terms() const { return *terms_; }
  const TermTablePtr& terms_ptr() const { return terms_; }

  void add(TermId s, TermId p, TermId o);
  void add(const Triple& t) { add(t.s, t.p, t.o); }
  // Copies every triple of `other`, which must share this graph's TermTable.
  void add_all(const Graph& other);
  void reserve(size_t n) { spo_.reserve(n); }
  // Undo support for parsers: triples added after append_mark() can be dropped with rollback().
  size_t append_mark() const;
  void rollback(size_t mark);

  // Namespace prefixes seen while parsing; used by the Turtle serialiser.
  void set_prefix(std::string name, std::string iri);
  const std::vector<std::pair<std::string, std::string>>& prefixes() const { return prefixes_; }

  // Sorts and deduplicates; lookups call it on demand.
  void index() const;
  // For a large number of small graphs over one shared table, walked from subjects (the
  // resolver's provider graphs): index() leaves out the POS permutation (12 bytes a triple),
  // and the first query by predicate builds it. That query then changes the graph, so callers
  // that share such a graph between threads serialise access to it.
  void build_predicate_index_on_demand() { predicate_index_on_demand_ = true; }
  size_t size() const;

  // All triples in SPO order.
  TripleRange triples() const;
  TripleRange with_subject(TermId s) const;
  TripleRange with_subject_predicate(TermId s, TermId p) const;
  // Triples in POS order: every triple using predicate p, grouped by object.
  TripleRange with_predicate(TermId p) const;
  TripleRange with_predicate_object(TermId p, TermId o) const;

  bool contains(TermId s, TermId p, TermId o) const;
  // The first object of (s, p, ?) or kNoTerm.
  TermId object(TermId s, TermId p) const;
  // Members of the RDF list starting at `head`; false when the list is malformed (a node without
  // exactly one rdf:first and one rdf:rest, or a cycle).
  bool list(TermId head, std::vector<TermId>* out) const;

 private:
  TermTablePtr terms_;
  std::vector<std::pair<std::string, std::string>> prefixes_;
  // mutable: indexing is a cache, not a change of the graph's value.
  mutable std::vector<Triple> spo_;
  mutable std::vector<Triple> pos_;
  // CSR offsets into spo_ by subject id: subject s owns [subject_start_[s], subject_start_[s+1]).
  // Turns the hottest lookup (objects of a focus node) into two array reads.
  mutable std::vector<uint32_t> subject_start_;
  mutable bool indexed_ = true;
  mutable bool pos_ready_ = true;  // false: index() left pos_ to the first query by predicate
  bool predicate_index_on_demand_ = false;

  void build_pos() const;
};

}  // namespace mpli::rdf
