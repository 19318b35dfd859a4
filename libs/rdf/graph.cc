#include "libs/rdf/graph.h"

#include <algorithm>
#include <unordered_set>

namespace mpli::rdf {
namespace {

inline bool spo_less(const Triple& a, const Triple& b) {
  if (a.s != b.s) return a.s < b.s;
  if (a.p != b.p) return a.p < b.p;
  return a.o < b.o;
}

inline bool pos_less(const Triple& a, const Triple& b) {
  if (a.p != b.p) return a.p < b.p;
  if (a.o != b.o) return a.o < b.o;
  return a.s < b.s;
}

}  // namespace

Graph::Graph(TermTablePtr terms) : terms_(std::move(terms)) {}

void Graph::add(TermId s, TermId p, TermId o) {
  spo_.push_back(Triple{s, p, o});
  indexed_ = false;
}

size_t Graph::append_mark() const { return spo_.size(); }

void Graph::rollback(size_t mark) {
  if (mark < spo_.size()) spo_.resize(mark);
  pos_.clear();
  indexed_ = false;
}

void Graph::add_all(const Graph& other) {
  for (const Triple& t : other.triples()) add(t);
  for (const auto& [name, iri] : other.prefixes()) set_prefix(name, iri);
}

void Graph::set_prefix(std::string name, std::string iri) {
  for (auto& entry : prefixes_) {
    if (entry.first == name) {
      entry.second = std::move(iri);
      return;
    }
  }
  prefixes_.emplace_back(std::move(name), std::move(iri));
}

void Graph::index() const {
  if (indexed_) return;
  // Lambdas (not function pointers) let the compiler inline the comparison into the sort.
  std::sort(spo_.begin(), spo_.end(),
            [](const Triple& a, const Triple& b) { return spo_less(a, b); });
  spo_.erase(std::unique(spo_.begin(), spo_.end()), spo_.end());
  spo_.shrink_to_fit();
  // Dense tables (ids used by this graph are a good share of the TermTable) get O(1) subject
  // offsets and linear-time POS sorting; a small graph over a large shared table (a report,
  // a manifest) falls back to binary search and std::sort instead of O(table) arrays.
  size_t table = terms_->size();
  bool dense = table <= 4 * spo_.size() + 4096;
  subject_start_.clear();
  if (dense) {
    subject_start_.assign(spo_.empty() ? 1 : spo_.back().s + 2, 0);
    for (const Triple& t : spo_) ++subject_start_[t.s + 1];
    for (size_t i = 1; i < subject_start_.size(); ++i) subject_start_[i] += subject_start_[i - 1];
  }
  subject_start_.shrink_to_fit();
  if (!dense) {
    pos_.clear();
    pos_ready_ = false;
    if (!predicate_index_on_demand_) build_pos();
    indexed_ = true;
    return;
  }
  // POS order by two stable counting sorts (LSD): spo_ is already ordered by subject, so
  // sorting by object and then by predicate yields (p, o, s) in linear time.
  std::vector<Triple> by_object(spo_.size());
  {
    std::vector<uint32_t> start(terms_->size() + 1, 0);
    for (const Triple& t : spo_) ++start[t.o + 1];
    for (size_t i = 1; i < start.size(); ++i) start[i] += start[i - 1];
    for (const Triple& t : spo_) by_object[start[t.o]++] = t;
  }
  pos_.assign(spo_.size(), Triple{0, 0, 0});
  {
    std::vector<uint32_t> start(terms_->size() + 1, 0);
    for (const Triple& t : by_object) ++start[t.p + 1];
    for (size_t i = 1; i < start.size(); ++i) start[i] += start[i - 1];
    for (const Triple& t : by_object) pos_[start[t.p]++] = t;
  }
  pos_ready_ = true;
  indexed_ = true;
}

// Sparse graphs: POS by sorting a copy of SPO.
void Graph::build_pos() const {
  pos_ = spo_;
  std::sort(pos_.begin(), pos_.end(),
            [](const Triple& a, const Triple& b) { return pos_less(a, b); });
  pos_ready_ = true;
}

size_t Graph::size() const {
  index();
  return spo_.size();
}

TripleRange Graph::triples() const {
  index();
  return {spo_.data(), spo_.data() + spo_.size()};
}

TripleRange Graph::with_subject(TermId s) const {
  index();
  if (subject_start_.empty()) {
    auto lo = std::lower_bound(spo_.begin(), spo_.end(), s,
                               [](const Triple& t, TermId v) { return t.s < v; });
    auto hi = lo;
    while (hi != spo_.end() && hi->s == s) ++hi;
    return {spo_.data() + (lo - spo_.begin()), spo_.data() + (hi - spo_.begin())};
  }
  if (static_cast<size_t>(s) + 1 >= subject_start_.size()) return {};
  return {spo_.data() + subject_start_[s], spo_.data() + subject_start_[s + 1]};
}

TripleRange Graph::with_subject_predicate(TermId s, TermId p) const {
  TripleRange all = with_subject(s);
  const Triple* lo = all.begin();
  const Triple* end = all.end();
  if (all.size() > 16) {
    lo = std::lower_bound(lo, end, p, [](const Triple& t, TermId v) { return t.p < v; });
  } else {
    while (lo != end && lo->p < p) ++lo;
  }
  const Triple* hi = lo;
  while (hi != end && hi->p == p) ++hi;
  return {lo, hi};
}

TripleRange Graph::with_predicate(TermId p) const {
  index();
  if (!pos_ready_) build_pos();
  auto lo = std::lower_bound(pos_.begin(), pos_.end(), p,
                             [](const Triple& t, TermId v) { return t.p < v; });
  auto hi = std::upper_bound(lo, pos_.end(), p, [](TermId v, const Triple& t) { return v < t.p; });
  return {pos_.data() + (lo - pos_.begin()), pos_.data() + (hi - pos_.begin())};
}

TripleRange Graph::with_predicate_object(TermId p, TermId o) const {
  index();
  if (!pos_ready_) build_pos();
  Triple key{0, p, o};
  auto lo = std::lower_bound(pos_.begin(), pos_.end(), key,
                             [](const Triple& a, const Triple& b) { return pos_less(a, b); });
  auto hi = lo;
  while (hi != pos_.end() && hi->p == p && hi->o == o) ++hi;
  return {pos_.data() + (lo - pos_.begin()), pos_.data() + (hi - pos_.begin())};
}

bool Graph::contains(TermId s, TermId p, TermId o) const {
  TripleRange r = with_subject_predicate(s, p);
  return std::binary_search(r.begin(), r.end(), Triple{s, p, o},
                            [](const Triple& a, const Triple& b) { return spo_less(a, b); });
}

TermId Graph::object(TermId s, TermId p) const {
  TripleRange r = with_subject_predicate(s, p);
  return r.empty() ? kNoTerm : r.begin()->o;
}

bool Graph::list(TermId head, std::vector<TermId>* out) const {
  const WellKnownTerms& wk = terms_->well_known();
  out->clear();
  std::unordered_set<TermId> seen;
  TermId node = head;
  while (node != wk.rdf_nil) {
    if (!seen.insert(node).second) return false;
    TripleRange first = with_subject_predicate(node, wk.rdf_first);
    TripleRange rest = with_subject_predicate(node, wk.rdf_rest);
    if (first.size() != 1 || rest.size() != 1) return false;
    out->push_back(first.begin()->o);
    node = rest.begin()->o;
  }
  return true;
}

}  // namespace mpli::rdf
