#include "services/resolver/domain/resolution.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <map>
#include <memory_resource>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <type_traits>
#include <unordered_map>

#include "libs/shacl/report.h"
#include "libs/shacl/validator.h"
#include "services/resolver/domain/column_checks.h"
#include "services/resolver/domain/graph_reading.h"

namespace mpli::resolver {

namespace {

using shacl::Component;
using shacl::ShapesProgram;
using shacl::ValidationResult;

std::string money(double amount) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%.2f", amount);
  return buffer;
}

// The predicate a path ends with (the last step of a sequence), kNoTerm for other paths.
TermId last_predicate(const shacl::Path& path) {
  if (path.kind == shacl::Path::Kind::kPredicate) return path.predicate;
  if (path.kind == shacl::Path::Kind::kSequence && !path.steps.empty()) {
    return last_predicate(path.steps.back());
  }
  return rdf::kNoTerm;
}

void path_predicates(const shacl::Path& path, std::vector<TermId>* out) {
  if (path.kind == shacl::Path::Kind::kPredicate) {
    out->push_back(path.predicate);
    return;
  }
  for (const auto& step : path.steps) path_predicates(step, out);
}

// Values a failed constraint asked for: sh:hasValue, or the sh:in / sh:hasValue of a
// qualified value shape.
std::vector<TermId> expected_values(const ShapesProgram& program, const shacl::Constraint& c) {
  std::vector<TermId> out;
  if (c.component == Component::kHasValue) out.push_back(c.term);
  if (c.component == Component::kIn) out = c.terms;
  if (c.component == Component::kQualifiedMinCount && !c.shapes.empty()) {
    for (const auto& inner : program.shapes[c.shapes.front()].constraints) {
      if (inner.component == Component::kIn)
        out.insert(out.end(), inner.terms.begin(), inner.terms.end());
      if (inner.component == Component::kHasValue) out.push_back(inner.term);
    }
  }
  return out;
}

struct Vocabulary {
  TermId offering_kind, verified_certification;
  explicit Vocabulary(rdf::TermTable& t)
      : offering_kind(t.iri(std::string(kMpli) + "offeringKind")),
        verified_certification(t.iri(std::string(kMpli) + "verifiedCertification")) {}
};

struct Candidate;

// Turns engine results into Failures, noting claims the hub has not verified.
class FailureWriter {
 public:
  // `currency`: the resolution's, named by a failure of the currency rule.
  FailureWriter(const ShapesProgram& program, const Vocabulary& vocabulary,
                std::string currency = "")
      : program_(program),
        terms_(*program.terms),
        vocabulary_(vocabulary),
        currency_(std::move(currency)) {}

  v1::Failure operator()(const ValidationResult& r, const ProviderSegment* provider) const {
    const shacl::Shape& shape = program_.shapes[r.shape];
    v1::Failure f;
    f.set_shape(node_name(terms_, shape.node));
    if (shape.is_property) f.set_path(shacl::path_to_string(shape.path, terms_));
    f.set_constraint("sh:" + std::string(shacl::component_name(r.component)));
    if (r.value != rdf::kNoTerm) f.set_value(terms_.to_ntriples(r.value));
    std::string message = shape.messages.empty()
                              ? shacl::describe_failure(r, program_)
                              : std::string(terms_.value(shape.messages.front()));
    if (provider != nullptr && shape.is_property &&
        last_predicate(shape.path) == vocabulary_.verified_certification) {
      const shacl::Constraint& c = shape.constraints[r.constraint];
      for (TermId wanted : expected_values(program_, c)) {
        const auto& claims = provider->claimed_standards;
        if (std::find(claims.begin(), claims.end(), wanted) != claims.end()) {
          f.set_claimed_not_verified(true);
          message += " (" + provider->provider_id + " claims " + std::string(terms_.value(wanted)) +
                     " in its manifest, but no credential the hub trusts proves it)";
          break;
        }
      }
    }
    f.set_message(message);
    return f;
  }

  // The key a constraint is tallied under: one row per (shape, constraint, component).
  static uint64_t key(const ValidationResult& r) {
    return (uint64_t{r.shape} << 32) | (uint64_t{r.constraint} << 8) |
           static_cast<uint64_t>(r.component);
  }

  std::vector<v1::Failure> all(const Candidate& c) const;
  // Those of the resolver's own rules (a monthly price, in the resolution's currency).
  std::vector<v1::Failure> own_failures(const Candidate& c) const;

 private:
  const ShapesProgram& program_;
  const rdf::TermTable& terms_;
  const Vocabulary& vocabulary_;
  std::string currency_;
};

// The consumer as providers see it: its node with nothing but verified facts.
rdf::Graph consumer_graph(const rdf::TermTablePtr& terms, const std::string& consumer_iri,
                          const std::vector<Fact>& facts) {
  rdf::Graph graph(terms);
  TermId consumer = terms->iri(consumer_iri);
  for (const Fact& fact : facts) {
    TermId object =
        fact.object_is_literal
            ? terms->literal(fact.object,
                             fact.datatype.empty() ? rdf::kNoTerm : terms->iri(fact.datatype))
            : terms->iri(fact.object);
    graph.add(consumer, terms->iri(fact.predicate), object);
  }
  graph.index();
  return graph;
}

// The key of a consumer's facts in a PrerequisiteMemo: everything consumer_graph reads.
std::string facts_key(const std::string& consumer_iri, const std::vector<Fact>& facts) {
  std::string key = consumer_iri;
  for (const Fact& fact : facts) {
    key += '\n' + fact.predicate + '\t' + (fact.object_is_literal ? "L" : "I") + fact.object +
           '\t' + fact.datatype;
  }
  return key;
}

// Prerequisite outcomes per provider and per offering, computed once per resolution, or per
// provider version and consumer's facts with a memo.
class Prerequisites {
 public:
  Prerequisites(const CatalogueIndex& index, const ConsumerManifest& manifest,
                const std::vector<Fact>& facts, const Vocabulary& vocabulary,
                PrerequisiteMemo* memo = nullptr, size_t memo_slot = 0)
      : graph_(consumer_graph(index.terms(), manifest.consumer_iri, facts)),
        consumer_(index.terms()->iri(manifest.consumer_iri)),
        label_(index.terms()->find_iri("http://www.w3.org/2000/01/rdf-schema#label")),
        vocabulary_(vocabulary),
        memo_(memo == nullptr ? nullptr
                              : &memo->table(facts_key(manifest.consumer_iri, facts),
                                             2 * index.providers().size() + 1024, memo_slot)) {}

  // The refusals that apply to an offering (empty: the consumer is accepted).
  const std::vector<v1::ProviderRefusal>& refusals(const OfferingRef& ref) {
    if (!ref.asks_consumer) return none_;
    const ProviderSegment& provider = *ref.provider;
    auto& cached = provider_refusals(provider);
    if (!ref.offering_asks) return cached;
    const OfferingEntry& offering = ref.offering();
    auto key = std::make_pair(&provider, ref.index);
    auto it = offering_refusals_.find(key);
    if (it != offering_refusals_.end()) return it->second;
    std::vector<v1::ProviderRefusal> all = cached;
    auto own = evaluate(provider, offering.prerequisites, std::string(offering.iri));
    all.insert(all.end(), own.begin(), own.end());
    return offering_refusals_.emplace(key, std::move(all)).first->second;
  }

  // Every refusal seen, by provider id, scope and prerequisite (views: this holds them).
  std::vector<const v1::ProviderRefusal*> seen() const {
    std::vector<const v1::ProviderRefusal*> out;
    for (const auto& [provider, list] : by_provider_) {
      for (const auto& refusal : *list) out.push_back(&refusal);
    }
    for (const auto& [key, list] : offering_refusals_) {
      for (const auto& refusal : list) {
        if (refusal.scope() != "provider") out.push_back(&refusal);
      }
    }
    std::sort(out.begin(), out.end(), [](const auto* a, const auto* b) {
      return std::tie(a->provider_id(), a->scope(), a->prerequisite()) <
             std::tie(b->provider_id(), b->scope(), b->prerequisite());
    });
    return out;
  }

 private:
  const std::vector<v1::ProviderRefusal>& provider_refusals(const ProviderSegment& provider) {
    // Candidates come grouped by provider: the last answer usually serves.
    if (last_provider_ == &provider) return *last_refusals_;
    auto it = by_provider_.find(&provider);
    if (it == by_provider_.end()) {
      // References into unordered_maps survive rehashing.
      const std::vector<v1::ProviderRefusal>* found = nullptr;
      if (memo_ != nullptr) {
        PrerequisiteMemo::Entry& entry = (*memo_)[&provider];
        if (entry.version != provider.version) {
          entry.refusals = evaluate(provider, provider.provider_prerequisites, "provider");
          entry.version = provider.version;
        }
        found = &entry.refusals;
      } else {
        found = &own_.emplace(&provider,
                              evaluate(provider, provider.provider_prerequisites, "provider"))
                     .first->second;
      }
      it = by_provider_.emplace(&provider, found).first;
    }
    last_provider_ = &provider;
    last_refusals_ = it->second;
    return *it->second;
  }

  std::vector<v1::ProviderRefusal> evaluate(const ProviderSegment& provider,
                                            const std::vector<uint32_t>& shapes,
                                            const std::string& scope) {
    std::vector<v1::ProviderRefusal> out;
    if (shapes.empty()) return out;
    shacl::Validator& validator = validator_for(provider);
    FailureWriter write(provider.prerequisites, vocabulary_);
    const rdf::TermTable& terms = *provider.prerequisites.terms;
    TermId label = label_;
    for (uint32_t shape : shapes) {
      std::vector<ValidationResult> results;
      if (validator.validate_node(shape, consumer_, &results)) continue;
      v1::ProviderRefusal refusal;
      refusal.set_provider_id(provider.provider_id);
      refusal.set_provider(provider.iri);
      TermId node = provider.prerequisites.shapes[shape].node;
      refusal.set_prerequisite(node_name(terms, node));
      TermId label_value =
          label == rdf::kNoTerm ? rdf::kNoTerm : provider.graph.object(node, label);
      if (label_value != rdf::kNoTerm) refusal.set_label(std::string(terms.value(label_value)));
      refusal.set_scope(scope);
      for (const auto& r : results) *refusal.add_failures() = write(r, nullptr);
      out.push_back(std::move(refusal));
    }
    return out;
  }

  // Offerings come grouped by provider: the last provider's validator serves the next call.
  shacl::Validator& validator_for(const ProviderSegment& provider) {
    if (validator_provider_ != &provider) {
      validator_ = std::make_unique<shacl::Validator>(provider.prerequisites, graph_);
      validator_provider_ = &provider;
    }
    return *validator_;
  }

  rdf::Graph graph_;
  TermId consumer_;
  TermId label_;  // rdfs:label, kNoTerm when no graph has it
  const Vocabulary& vocabulary_;
  const std::vector<v1::ProviderRefusal> none_;
  const ProviderSegment* last_provider_ = nullptr;
  const std::vector<v1::ProviderRefusal>* last_refusals_ = nullptr;
  const ProviderSegment* validator_provider_ = nullptr;
  std::unique_ptr<shacl::Validator> validator_;
  PrerequisiteMemo::Table* memo_;
  // The providers seen in this resolution, their refusals in memo_ or own_.
  std::unordered_map<const ProviderSegment*, const std::vector<v1::ProviderRefusal>*> by_provider_;
  std::unordered_map<const ProviderSegment*, std::vector<v1::ProviderRefusal>> own_;
  std::map<std::pair<const ProviderSegment*, uint32_t>, std::vector<v1::ProviderRefusal>>
      offering_refusals_;
};

// The kind a requirement shape asks for with a top-level sh:hasValue on mpli:offeringKind, and
// the property shape that asks: offerings of other kinds fail that constraint, so only that
// kind's offerings are checked.
using AskedKind = std::optional<std::pair<TermId, uint32_t>>;
AskedKind asked_kind(const ShapesProgram& program, uint32_t shape, const Vocabulary& v) {
  for (const auto& c : program.shapes[shape].constraints) {
    if (c.component != Component::kProperty) continue;
    for (uint32_t property : c.shapes) {
      const shacl::Shape& p = program.shapes[property];
      if (p.deactivated || p.path.kind != shacl::Path::Kind::kPredicate ||
          p.path.predicate != v.offering_kind) {
        continue;
      }
      for (uint32_t i = 0; i < p.constraints.size(); ++i) {
        if (p.constraints[i].component == Component::kHasValue) {
          return std::make_pair(p.constraints[i].term, property);
        }
      }
    }
  }
  return std::nullopt;
}

// Why a candidate is not an answer, the first failing in the order they are checked (an enum:
// tens of thousands of candidates are tested for one of them).
enum class Reason : uint8_t { kAccepted, kRequirementShape, kConsumerRefused, kCurrency, kNoPrice };

// As reports name it.
std::string_view reason_name(Reason reason) {
  switch (reason) {
    case Reason::kAccepted:
      return "";
    case Reason::kRequirementShape:
      return "requirement_shape";
    case Reason::kConsumerRefused:
      return "consumer_refused";
    case Reason::kCurrency:
      return "currency";
    case Reason::kNoPrice:
      return "no_price";
  }
  return "";
}

// A checked offering. A shape's results stay engine results until the candidate is listed:
// most rejected candidates are only counted, and writing their messages would cost more than
// checking them.
struct Candidate {
  Candidate() = default;
  Candidate(const OfferingRef& of, const OfferingRow& its_row) : ref(of), row(its_row) {}
  OfferingRef ref;
  // A copy of the index's row of ref, read once while matching (prefetched ahead, in row
  // order): composition and the nearest misses then read it here, in sequence, rather than
  // from the index's array at random again.
  OfferingRow row;
  // Requirement shape failures. Tens of thousands of rejected candidates hold one or two
  // each: they are in the matcher's arena (freed at once), and a candidate is trivially
  // destroyed.
  ResultSpan results;
  // The prerequisites the consumer misses (shared with Prerequisites, which outlives this).
  const std::vector<v1::ProviderRefusal>* refusals = nullptr;
  uint32_t refusal_failures = 0;
  Reason reason = Reason::kAccepted;  // the first that failed
  // The resolver's own rules, written as failures when the candidate is listed.
  bool no_price = false;
  bool other_currency = false;
  size_t failure_count() const {
    return results.size() + refusal_failures + (no_price ? 1 : 0) + (other_currency ? 1 : 0);
  }
};
static_assert(std::is_trivially_destructible_v<Candidate>);

constexpr uint64_t kKindTally = ~uint64_t{0};

// The candidates of one requirement that one matcher checked, in candidate order. Of those the
// requirement shape rejects (most of a kind's offerings) only the nearest misses are kept (see
// nearer); the others are counted and tallied.
struct MatchedPart {
  std::vector<Candidate> accepted;
  // Rejected for another reason than the shape, every one; then the shape's nearest misses.
  std::vector<Candidate> rejected;
  std::vector<Candidate> nearest_shape_misses;  // a heap by nearer, at most MatchLimits::nearest
  int64_t shape_rejected = 0;                   // every candidate the shape rejected, kept or not
  int conforming = 0;
  size_t accepted_regions = 0;  // the placements the accepted candidates make
  // By FailureWriter::key; kKindTally for offerings of another kind.
  std::map<uint64_t, std::pair<v1::ConstraintTally, int>> tallies;
};

// A requirement's candidates, the parts of every matcher joined in candidate order (as views:
// the parts, which outlive this, hold the candidates, and tens of thousands are not moved).
struct RequirementOutcome {
  std::vector<const Candidate*> accepted;
  // Every candidate rejected for another reason than the shape, and the nearest of those the
  // shape rejected: enough for the nearest misses of every list (see MatchLimits).
  std::vector<const Candidate*> rejected;
  int64_t rejected_total = 0;  // all rejected candidates of the requirement's kind
  int conforming = 0;
  size_t accepted_regions = 0;  // the placements the accepted candidates make
  int64_t other_kinds = 0;      // offerings of another kind, failing the kind constraint
  // By FailureWriter::key; kKindTally for offerings of another kind.
  std::map<uint64_t, std::pair<v1::ConstraintTally, int>> tallies;
};

std::vector<v1::Failure> FailureWriter::all(const Candidate& c) const {
  std::vector<v1::Failure> out;
  for (const auto& r : c.results) out.push_back((*this)(r, c.ref.provider));
  if (c.refusals != nullptr) {
    for (const auto& refusal : *c.refusals) {
      out.insert(out.end(), refusal.failures().begin(), refusal.failures().end());
    }
  }
  for (auto& f : own_failures(c)) out.push_back(std::move(f));
  return out;
}

v1::Failure currency_failure(const OfferingEntry& offering, const std::string& currency) {
  v1::Failure f;
  f.set_constraint("mpli:Currency");
  f.set_value("\"" + offering.currency + "\"");
  f.set_message("priced in " + offering.currency + "; this resolution is in " + currency +
                " (no exchange rates are applied)");
  return f;
}

v1::Failure price_failure() {
  v1::Failure f;
  f.set_constraint("mpli:MonthlyPrice");
  f.set_message("no price per month or per hour, so it cannot be priced or budgeted");
  return f;
}

std::vector<v1::Failure> FailureWriter::own_failures(const Candidate& c) const {
  std::vector<v1::Failure> out;
  if (c.no_price) out.push_back(price_failure());
  if (c.other_currency) out.push_back(currency_failure(c.ref.offering(), currency_));
  return out;
}

// How far one candidate is checked. Resolution stops at the first reason to reject it: the
// prerequisites of an offering that fails the requirement shape are not evaluated, so the
// refusals a resolution lists are those of offerings that would otherwise serve. A single
// check (check_offering) goes through every check, to say all that stands in the way.
enum class CheckDepth { kFirstReason, kEveryReason };

// Whether `ref` serves `requirement`, both ways: the requirement shape, then the consumer
// against the provider's and the offering's prerequisites, then the resolver's own rules (a
// monthly price, in the resolution's currency). The one per-candidate evaluation: resolve and
// check_offering both call it, so they cannot disagree about a candidate.
// `currency` is index.currency_id(manifest.currency).
Candidate offering_serves(const CatalogueIndex& index, const ConsumerManifest& manifest,
                          uint16_t currency, const Requirement& requirement, const OfferingRef& ref,
                          ShapeChecks& checks, Prerequisites& prerequisites, CheckDepth depth,
                          std::pmr::memory_resource* memory) {
  // Built from its two parts, not zeroed first and then overwritten: that block fill per
  // candidate was a twentieth of matching.
  Candidate candidate(ref, index.row(ref.row));
  if (!checks.requirement(requirement.shape, ref, memory, &candidate.results)) {
    candidate.reason = Reason::kRequirementShape;
    if (depth == CheckDepth::kFirstReason) return candidate;
  }
  const auto& refusals = prerequisites.refusals(ref);
  if (!refusals.empty()) {
    if (candidate.reason == Reason::kAccepted) candidate.reason = Reason::kConsumerRefused;
    candidate.refusals = &refusals;
    for (const auto& refusal : refusals) candidate.refusal_failures += refusal.failures_size();
    if (depth == CheckDepth::kFirstReason) return candidate;
  }
  // Read from the index's row, not the entry: one cache miss less per candidate.
  const OfferingRow& row = candidate.row;
  if (!row.has_monthly_price) {
    if (candidate.reason == Reason::kAccepted) candidate.reason = Reason::kNoPrice;
    candidate.no_price = true;
  } else if (row.currency == CatalogueIndex::kOtherCurrency
                 ? ref.offering().currency != manifest.currency
                 : row.currency != currency) {
    if (candidate.reason == Reason::kAccepted) candidate.reason = Reason::kCurrency;
    candidate.other_currency = true;
  }
  return candidate;
}

// The order of nearest misses: fewest failed constraints, then by offering IRI.
bool nearer(const Candidate& a, const Candidate& b) {
  if (a.failure_count() != b.failure_count()) return a.failure_count() < b.failure_count();
  return a.row.iri_before(b.row);
}

// How many of the candidates the shape rejects a resolution keeps: the nearest `nearest`, as
// many as any list of nearest misses shows (the rejected listed per requirement, and three in
// a diagnosis).
struct MatchLimits {
  size_t nearest = 3;
};

// Keeps `candidate` among the `limit` nearest in `heap` (a max-heap by nearer: its front is the
// farthest kept), its results copied into `memory` when it stays.
void keep_if_nearer(Candidate candidate, size_t limit, std::pmr::memory_resource* memory,
                    std::vector<Candidate>* heap) {
  if (limit == 0) return;
  if (heap->size() == limit) {
    if (!nearer(candidate, heap->front())) return;
    std::pop_heap(heap->begin(), heap->end(), nearer);
    heap->pop_back();
  }
  candidate.results = copy_results(candidate.results, memory);
  heap->push_back(candidate);
  std::push_heap(heap->begin(), heap->end(), nearer);
}

// The candidates in [first, last) of `requirement` (a kind's, or all offerings), matched in
// order. A part of match_requirement's work: the kind tally is added there.
MatchedPart match_range(const CatalogueIndex& index, const ConsumerManifest& manifest,
                        const Requirement& requirement, const OfferingRef* first,
                        const OfferingRef* last, ShapeChecks& checks, Prerequisites& prerequisites,
                        const Vocabulary& vocabulary, const MatchLimits& limits,
                        std::pmr::memory_resource* memory) {
  MatchedPart out;
  const ShapesProgram& program = *manifest.program;
  FailureWriter write(program, vocabulary);
  uint16_t currency = index.currency_id(manifest.currency);
  const size_t count = static_cast<size_t>(last - first);
  // Grown, it would move thousands of candidates several times (only the pages used are
  // touched).
  out.accepted.reserve(count);
  out.nearest_shape_misses.reserve(limits.nearest);
  for (size_t at = 0; at < count; ++at) {
    // The rows of a kind's candidates are far apart in the index's array: asking for those a
    // few candidates ahead overlaps the cache misses of reading them.
    if (at + 16 < count) {
      // A row is 64 bytes in an array that is not aligned to cache lines: both of its lines.
      const char* row = reinterpret_cast<const char*>(&index.row(first[at + 16].row));
      __builtin_prefetch(row);
      __builtin_prefetch(row + sizeof(OfferingRow) - 1);
      checks.prefetch(requirement.shape, first[at + 16]);
    }
    const OfferingRef& ref = first[at];
    // The shape's results stay in `checks` (valid until its next check) unless kept.
    Candidate candidate = offering_serves(index, manifest, currency, requirement, ref, checks,
                                          prerequisites, CheckDepth::kFirstReason, nullptr);
    if (candidate.reason == Reason::kRequirementShape) {
      for (size_t i = 0; i < candidate.results.size(); ++i) {
        // A constraint failing on several values eliminates the offering once (a handful of
        // results: a scan is cheaper than a set).
        uint64_t key = FailureWriter::key(candidate.results[i]);
        bool counted = false;
        for (size_t j = 0; j < i && !counted; ++j) {
          counted = FailureWriter::key(candidate.results[j]) == key;
        }
        if (counted) continue;
        const ValidationResult& r = candidate.results[i];
        auto& tally = out.tallies[key];
        if (tally.second == 0) {
          v1::Failure failure = write(r, nullptr);
          tally.first.set_shape(failure.shape());
          tally.first.set_path(failure.path());
          tally.first.set_constraint(failure.constraint());
          tally.first.set_message(failure.message());
        }
        tally.second += 1;
      }
      ++out.shape_rejected;
      keep_if_nearer(candidate, limits.nearest, memory, &out.nearest_shape_misses);
      continue;
    }
    ++out.conforming;
    candidate.results = copy_results(candidate.results, memory);
    if (candidate.reason == Reason::kAccepted) {
      out.accepted_regions += candidate.row.region_count;
      out.accepted.push_back(candidate);
    } else {
      out.rejected.push_back(candidate);
    }
  }
  return out;
}

// `part` (the candidates after those already in `into`) added to `into`: the same outcome as
// one match over both ranges.
void add_part(RequirementOutcome& into, MatchedPart& part) {
  for (const Candidate& c : part.accepted) into.accepted.push_back(&c);
  for (const Candidate& c : part.rejected) into.rejected.push_back(&c);
  for (const Candidate& c : part.nearest_shape_misses) into.rejected.push_back(&c);
  into.rejected_total += static_cast<int64_t>(part.rejected.size()) + part.shape_rejected;
  into.conforming += part.conforming;
  into.accepted_regions += part.accepted_regions;
  for (auto& [key, tally] : part.tallies) {
    auto [at, fresh] = into.tallies.try_emplace(key, std::move(tally));
    if (!fresh) at->second.second += tally.second;
  }
}

// One matcher of a resolution's parallel match: what checking candidates changes (neither
// ShapeChecks nor Prerequisites is thread-safe) and the arena of its candidates' results.
// Matchers take disjoint sets of providers, so their prerequisite refusals never overlap.
struct Matcher {
  Matcher(const CatalogueIndex& index, const ConsumerManifest& manifest,
          const std::vector<Fact>& facts, const Vocabulary& vocabulary, PrerequisiteMemo* memo,
          size_t slot)
      : checks(*manifest.program, index),
        prerequisites(index, manifest, facts, vocabulary, memo, slot) {}
  ShapeChecks checks;
  Prerequisites prerequisites;
  std::pmr::monotonic_buffer_resource arena;  // outlives the outcomes' candidates
};

// Where each matcher's providers begin: the providers of the largest candidate list cut into
// `parts` runs of about equal length (candidate lists are in provider order). Fewer parts when
// there are few candidates: a thread costs more than matching a few thousand.
std::vector<std::string> provider_pivots(const std::vector<const std::vector<OfferingRef>*>& lists,
                                         size_t parts, size_t min_per_part) {
  const std::vector<OfferingRef>* largest = nullptr;
  for (const auto* list : lists) {
    if (largest == nullptr || list->size() > largest->size()) largest = list;
  }
  std::vector<std::string> pivots;
  if (largest == nullptr || parts < 2) return pivots;
  parts = std::min(parts, std::max<size_t>(1, largest->size() / std::max<size_t>(1, min_per_part)));
  for (size_t p = 1; p < parts; ++p) {
    const std::string& id = (*largest)[largest->size() * p / parts].provider->provider_id;
    if (pivots.empty() || pivots.back() < id) pivots.push_back(id);
  }
  return pivots;
}

// Every requirement matched against its candidates, by one of `workers` per matcher at once
// when there are several (the calling thread is the first): matcher m takes the candidates of
// providers in [pivots[m-1], pivots[m]) of every requirement, into parts[m][requirement], and
// the outcomes join the parts in provider order: those of one matcher over everything.
std::vector<RequirementOutcome> match_requirements(
    const CatalogueIndex& index, const ConsumerManifest& manifest,
    const std::vector<const std::vector<OfferingRef>*>& lists, const std::vector<AskedKind>& kinds,
    std::vector<std::unique_ptr<Matcher>>& matchers, const std::vector<std::string>& pivots,
    const Vocabulary& vocabulary, const MatchLimits& limits, Workers& workers,
    std::vector<std::vector<MatchedPart>>* parts) {
  const size_t count = manifest.requirements.size();
  auto bound = [&](size_t r, size_t part) -> const OfferingRef* {
    const std::vector<OfferingRef>& list = *lists[r];
    if (part == 0) return list.data();
    if (part > pivots.size()) return list.data() + list.size();
    auto at = std::lower_bound(list.begin(), list.end(), pivots[part - 1],
                               [](const OfferingRef& ref, const std::string& id) {
                                 return ref.provider->provider_id < id;
                               });
    return list.data() + (at - list.begin());
  };
  parts->assign(matchers.size(), {});
  auto run = [&](size_t part) {
    Matcher& m = *matchers[part];
    for (size_t r = 0; r < count; ++r) {
      (*parts)[part].push_back(match_range(index, manifest, manifest.requirements[r],
                                           bound(r, part), bound(r, part + 1), m.checks,
                                           m.prerequisites, vocabulary, limits, &m.arena));
    }
  };
  workers.run(matchers.size(), run);

  const ShapesProgram& program = *manifest.program;
  std::vector<RequirementOutcome> outcomes(count);
  for (size_t r = 0; r < count; ++r) {
    RequirementOutcome& out = outcomes[r];
    size_t accepted = 0;
    size_t rejected = 0;
    for (const auto& part : *parts) {
      accepted += part[r].accepted.size();
      rejected += part[r].rejected.size() + part[r].nearest_shape_misses.size();
    }
    out.accepted.reserve(accepted);
    out.rejected.reserve(rejected);
    for (auto& part : *parts) add_part(out, part[r]);
    const AskedKind& kind = kinds[r];
    if (!kind) continue;
    out.other_kinds = static_cast<int64_t>(index.offering_count() - lists[r]->size());
    if (out.other_kinds == 0) continue;
    const shacl::Shape& kind_shape = program.shapes[kind->second];
    v1::ConstraintTally tally;
    tally.set_shape(node_name(*program.terms, kind_shape.node));
    tally.set_path(shacl::path_to_string(kind_shape.path, *program.terms));
    tally.set_constraint("sh:HasValueConstraintComponent");
    tally.set_message(kind_shape.messages.empty()
                          ? "offering kind is not " + std::string(program.terms->value(kind->first))
                          : std::string(program.terms->value(kind_shape.messages.front())));
    out.tallies[kKindTally] = {tally, static_cast<int>(out.other_kinds)};
  }
  return outcomes;
}

double weight_of(const ConsumerManifest& manifest, PreferenceSpec::Kind kind) {
  double sum = 0;
  for (const auto& p : manifest.preferences) {
    if (p.kind == kind) sum += p.weight;
  }
  return sum;
}

const PreferenceSpec* first_preference(const ConsumerManifest& manifest,
                                       PreferenceSpec::Kind kind) {
  for (const auto& p : manifest.preferences) {
    if (p.kind == kind) return &p;
  }
  return nullptr;
}

// Placements for composition, with what is needed to write the answers back.
struct PlacementInfo {
  OfferingRef ref;
  const Region* region = nullptr;
};

struct Problem {
  CompositionRequest request;
  std::vector<std::vector<PlacementInfo>> info;
};

// A country code of up to 7 bytes as one integer (its length in the low byte, then its
// bytes), 0 for a longer one: placements by the ten thousand compare and look up their country
// by an integer, not a string.
uint64_t packed_country(const std::string& country) {
  if (country.size() > 7) return 0;
  uint64_t packed = country.size();
  for (size_t i = 0; i < country.size(); ++i) {
    packed |= uint64_t{static_cast<unsigned char>(country[i])} << (8 * (i + 1));
  }
  return packed;
}

// Dense ids of the countries a problem's placements name, in order of first use.
class CountryIds {
 public:
  uint32_t id(const std::string& country, uint64_t packed) {
    if (packed != 0) {
      auto known = packed_.find(packed);
      if (known != packed_.end()) return known->second;
      return packed_.emplace(packed, next_++).first->second;
    }
    auto known = long_.find(country);
    if (known != long_.end()) return known->second;
    return long_.emplace(country, next_++).first->second;
  }

 private:
  std::unordered_map<uint64_t, uint32_t> packed_;
  std::unordered_map<std::string, uint32_t> long_;
  uint32_t next_ = 0;
};

Problem build_problem(const CatalogueIndex& index, const ConsumerManifest& manifest,
                      const std::vector<RequirementOutcome>& outcomes, size_t top_k,
                      uint64_t max_nodes) {
  Problem problem;
  // Dense provider ids in order of first use, by ProviderSegment::ordinal: an array, not a
  // map (a hash and a node per provider were a large share of building the problem).
  constexpr uint32_t kUnseen = ~uint32_t{0};
  std::vector<uint32_t> provider_ids(index.provider_ordinals(), kUnseen);
  uint32_t next_provider = 0;
  CountryIds countries;
  const PreferenceSpec* near = first_preference(manifest, PreferenceSpec::Kind::kClosestRegion);
  std::set<std::string> preferred;
  for (const auto& p : manifest.preferences) {
    if (p.kind == PreferenceSpec::Kind::kProviders)
      preferred.insert(p.providers.begin(), p.providers.end());
  }
  // A provider is preferred when its node is an IRI the manifest names: compared as term ids
  // (the table interns each IRI once), so the provider's segment is not read per candidate.
  std::vector<TermId> preferred_nodes;
  bool by_text = false;  // "" (a blank provider node's iri) is matched as text, as before
  for (const std::string& iri : preferred) {
    by_text = by_text || iri.empty();
    TermId node = manifest.program->terms->find_iri(iri);
    if (node != rdf::kNoTerm) preferred_nodes.push_back(node);
  }
  auto is_preferred = [&](const ProviderSegment* segment, TermId node) {
    if (by_text) return preferred.count(segment->iri) > 0;
    return std::find(preferred_nodes.begin(), preferred_nodes.end(), node) != preferred_nodes.end();
  };
  bool preferred_provider = false;
  for (size_t r = 0; r < outcomes.size(); ++r) {
    std::vector<Placement> placements;
    std::vector<PlacementInfo> info;
    // One placement per region of each candidate: reserved at once, not grown (and copied)
    // several times.
    placements.reserve(outcomes[r].accepted_regions);
    info.reserve(outcomes[r].accepted_regions);
    // Candidates come grouped by provider, whose regions share countries: the last provider
    // and country looked up usually serve again (a map's emplace allocates even on a hit).
    const ProviderSegment* last_provider = nullptr;
    uint32_t provider = 0;
    uint64_t last_country = 0;  // packed_country of the last region's; 0: none
    uint32_t country = kNoCountry;
    double last_latitude = std::numeric_limits<double>::quiet_NaN();  // equal to nothing
    double last_longitude = last_latitude;
    double last_km = 0;
    const std::vector<const Candidate*>& accepted = outcomes[r].accepted;
    for (size_t at = 0; at < accepted.size(); ++at) {
      // Each offering's regions are an allocation of their own, spread over memory: asking
      // for those of a candidate a few places ahead overlaps the cache misses of reading them.
      if (at + 4 < accepted.size()) __builtin_prefetch(accepted[at + 4]->row.regions);
      const Candidate& candidate = *accepted[at];
      const OfferingRow& offering = candidate.row;
      if (candidate.ref.provider != last_provider) {
        last_provider = candidate.ref.provider;
        uint32_t& id = provider_ids[offering.provider_ordinal];
        if (id == kUnseen) id = next_provider++;
        provider = id;
        preferred_provider = is_preferred(last_provider, offering.provider_node);
      }
      for (const Region& region : Regions{offering.regions, offering.region_count}) {
        Placement p;
        p.offering = static_cast<uint32_t>(info.size());
        p.provider = provider;
        p.country = kNoCountry;
        if (!region.country.empty()) {
          const uint64_t packed = packed_country(region.country);
          if (packed == 0 || packed != last_country) {
            country = countries.id(region.country, packed);
            last_country = packed;
          }
          p.country = country;
        }
        p.cost = offering.unit_monthly_price * manifest.requirements[r].quantity;
        if (near != nullptr && near->latitude && near->longitude && region.latitude &&
            region.longitude) {
          // A provider's offerings share a few regions: the last distance usually serves.
          if (*region.latitude != last_latitude || *region.longitude != last_longitude) {
            last_latitude = *region.latitude;
            last_longitude = *region.longitude;
            last_km =
                great_circle_km(*near->latitude, *near->longitude, last_latitude, last_longitude);
          }
          p.distance_km = last_km;
        }
        p.preferred_provider = preferred_provider;
        p.tie_key = offering.iri_view();
        p.tie_subkey = region.code;
        placements.push_back(p);
        info.push_back({candidate.ref, &region});
      }
    }
    problem.request.placements.push_back(std::move(placements));
    problem.info.push_back(std::move(info));
  }
  for (const auto& c : manifest.constraints) {
    CrossConstraint constraint;
    constraint.kind = c.kind;
    constraint.applies_to = c.applies_to;
    constraint.max_providers = c.max_providers;
    constraint.max_monthly_price = c.max_monthly_price;
    problem.request.constraints.push_back(constraint);
  }
  problem.request.weights.cheapest = weight_of(manifest, PreferenceSpec::Kind::kCheapest);
  problem.request.weights.closest = weight_of(manifest, PreferenceSpec::Kind::kClosestRegion);
  problem.request.weights.providers = weight_of(manifest, PreferenceSpec::Kind::kProviders);
  problem.request.top_k = top_k;
  problem.request.max_search_nodes = max_nodes;
  return problem;
}

void add_score_parts(const ConsumerManifest& manifest, const ComposedAnswer& composed,
                     double cheapest, const std::string& currency, v1::Answer* answer) {
  double total = 0;
  for (const auto& p : manifest.preferences) total += p.weight;
  if (total <= 0) {
    auto* part = answer->add_score_parts();
    part->set_preference("PreferCheapest");
    part->set_node("(default: no preference stated)");
    part->set_weight(1);
    part->set_value(composed.price_value);
    part->set_contribution(composed.price_value);
    part->set_detail(money(composed.price) + " " + currency + " against the cheapest " +
                     money(cheapest) + " " + currency);
    return;
  }
  // Each stated preference gets its share: preferences of one kind split that kind's value.
  for (const auto& p : manifest.preferences) {
    auto* part = answer->add_score_parts();
    part->set_node(p.node);
    part->set_weight(p.weight);
    double value = 0;
    switch (p.kind) {
      case PreferenceSpec::Kind::kCheapest:
        part->set_preference("PreferCheapest");
        value = composed.price_value;
        part->set_detail(money(composed.price) + " " + currency + " against the cheapest " +
                         money(cheapest) + " " + currency);
        break;
      case PreferenceSpec::Kind::kClosestRegion:
        part->set_preference("PreferClosestRegion");
        value = composed.distance_value;
        part->set_detail("mean closeness " + money(composed.distance_value) +
                         " (1 / (1 + km / 500) per assignment)");
        break;
      case PreferenceSpec::Kind::kProviders:
        part->set_preference("PreferProviders");
        value = composed.provider_value;
        part->set_detail(money(composed.provider_value * 100) +
                         "% of the requirements at a preferred provider");
        break;
    }
    part->set_value(value);
    part->set_contribution(p.weight / total * value);
  }
}

v1::Answer write_answer(const ConsumerManifest& manifest, const Problem& problem,
                        const ComposedAnswer& composed, double cheapest, int rank) {
  v1::Answer answer;
  answer.set_rank(rank);
  answer.set_monthly_price(composed.price);
  answer.set_score(composed.score);
  add_score_parts(manifest, composed, cheapest, manifest.currency, &answer);
  std::set<std::string> providers;
  for (size_t r = 0; r < composed.choice.size(); ++r) {
    const PlacementInfo& info = problem.info[r][composed.choice[r]];
    const OfferingEntry& offering = info.ref.offering();
    const Requirement& requirement = manifest.requirements[r];
    auto* a = answer.add_assignments();
    a->set_requirement(requirement.iri);
    a->set_requirement_label(requirement.label);
    a->set_offering(offering.iri.data(), offering.iri.size());
    a->set_offering_name(offering.name.data(), offering.name.size());
    a->set_provider_id(info.ref.provider->provider_id);
    a->set_provider(info.ref.provider->iri);
    a->set_region(info.region->code);
    a->set_country(info.region->country);
    a->set_quantity(requirement.quantity);
    a->set_unit_monthly_price(*offering.unit_monthly_price);
    a->set_monthly_price(*offering.unit_monthly_price * requirement.quantity);
    providers.insert(info.ref.provider->provider_id);
  }
  for (const auto& p : providers) answer.add_providers(p);
  return answer;
}

std::string constraint_sentence(const ConsumerManifest& manifest, const ConstraintSpec& c,
                                double cheapest_total) {
  std::string scope = c.applies_to.empty() ? "all requirements" : "";
  for (uint32_t r : c.applies_to) {
    if (!scope.empty()) scope += ", ";
    scope += "'" + manifest.requirements[r].label + "'";
  }
  switch (c.kind) {
    case CrossConstraint::Kind::kSameCountry:
      return "mpli:SameCountry (" + c.node + "): no single country has candidates for " + scope;
    case CrossConstraint::Kind::kSameProvider:
      return "mpli:SameProvider (" + c.node + "): no single provider has accepted candidates for " +
             scope;
    case CrossConstraint::Kind::kMaxProviders:
      return "mpli:MaxProviders " + std::to_string(c.max_providers) + " (" + c.node +
             "): " + scope + " need more providers than that";
    case CrossConstraint::Kind::kMonthlyBudget:
      return "mpli:MonthlyBudget " + money(c.max_monthly_price) + " " + c.currency + " (" + c.node +
             "): the cheapest combination of the accepted candidates costs " +
             money(cheapest_total) + " " + c.currency;
  }
  return "";
}

// The `k` nearest misses (by nearer) of an outcome's kept rejected candidates: at most
// MatchLimits::nearest of those the shape rejected were kept, the nearest, so for k up to that
// these are the nearest of all. Only those are put in order (a partial sort of pointers).
std::vector<const Candidate*> nearest(const std::vector<const Candidate*>& rejected, size_t k,
                                      bool shape_only) {
  std::vector<const Candidate*> out;
  if (!shape_only) {
    out = rejected;
  } else {
    out.reserve(rejected.size());
    for (const Candidate* c : rejected) {
      if (c->reason == Reason::kRequirementShape) out.push_back(c);
    }
  }
  k = std::min(k, out.size());
  std::partial_sort(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(k), out.end(),
                    [](const Candidate* a, const Candidate* b) { return nearer(*a, *b); });
  out.resize(k);
  return out;
}

void write_requirement_report(const Requirement& requirement, RequirementOutcome& outcome,
                              const FailureWriter& write, size_t explain_limit,
                              v1::RequirementReport* report) {
  report->set_requirement(requirement.iri);
  report->set_label(requirement.label);
  report->set_quantity(requirement.quantity);
  report->set_conforming(outcome.conforming);
  report->set_accepted(static_cast<int32_t>(outcome.accepted.size()));
  report->set_rejected_total(static_cast<int32_t>(outcome.rejected_total + outcome.other_kinds));
  for (const Candidate* listed : nearest(outcome.rejected, explain_limit, false)) {
    const Candidate& c = *listed;
    auto* out = report->add_rejected();
    out->set_offering(c.ref.offering().iri.data(), c.ref.offering().iri.size());
    out->set_offering_name(c.ref.offering().name.data(), c.ref.offering().name.size());
    out->set_provider_id(c.ref.provider->provider_id);
    out->set_reason(std::string(reason_name(c.reason)));
    for (auto& f : write.all(c)) *out->add_failures() = std::move(f);
  }
  std::vector<std::pair<v1::ConstraintTally, int>> tallies;
  tallies.reserve(outcome.tallies.size());
  for (auto& [key, tally] : outcome.tallies) tallies.push_back(tally);
  std::sort(tallies.begin(), tallies.end(), [](const auto& a, const auto& b) {
    if (a.second != b.second) return a.second > b.second;
    return a.first.shape() + a.first.path() < b.first.shape() + b.first.path();
  });
  for (auto& [tally, count] : tallies) {
    tally.set_offerings(count);
    *report->add_eliminated_by() = tally;
  }
}

void diagnose(const ConsumerManifest& manifest, std::vector<RequirementOutcome>& outcomes,
              const FailureWriter& write, const CompositionResult& composed,
              v1::Resolution* resolution) {
  v1::Diagnosis* diagnosis = resolution->mutable_diagnosis();
  bool every_requirement_served = true;
  for (size_t r = 0; r < outcomes.size(); ++r) {
    const Requirement& requirement = manifest.requirements[r];
    RequirementOutcome& outcome = outcomes[r];
    const v1::RequirementReport& report = resolution->requirements(static_cast<int>(r));
    if (!outcome.accepted.empty()) continue;
    every_requirement_served = false;
    if (outcome.conforming == 0) {
      std::string sentence = "No offering satisfies requirement '" + requirement.label + "'";
      // The kind filter is left out: that offerings of other kinds fail it is no news.
      auto top_it = std::find_if(report.eliminated_by().begin(), report.eliminated_by().end(),
                                 [](const v1::ConstraintTally& t) {
                                   return t.path() != "<" + std::string(kMpli) + "offeringKind>";
                                 });
      if (top_it != report.eliminated_by().end()) {
        const auto& top = *top_it;
        sentence += "; the constraint that eliminated the most offerings (" +
                    std::to_string(top.offerings()) + ") is " +
                    (top.path().empty() ? top.constraint() : top.path() + " " + top.constraint()) +
                    ": " + top.message();
      }
      diagnosis->add_summary(sentence + ".");
      for (const Candidate* miss_candidate : nearest(outcome.rejected, 3, true)) {
        const Candidate& c = *miss_candidate;
        auto* miss = diagnosis->add_nearest_misses();
        miss->set_requirement(requirement.iri);
        miss->set_offering(c.ref.offering().iri.data(), c.ref.offering().iri.size());
        miss->set_provider_id(c.ref.provider->provider_id);
        miss->set_failed_constraints(static_cast<int32_t>(c.failure_count()));
        for (auto& f : write.all(c)) *miss->add_failures() = std::move(f);
      }
    } else {
      std::map<std::string_view, int> reasons;
      for (const Candidate* c : outcome.rejected) {
        if (c->reason != Reason::kRequirementShape) reasons[reason_name(c->reason)] += 1;
      }
      std::string why;
      for (const auto& [reason, count] : reasons) {
        if (!why.empty()) why += ", ";
        why += std::to_string(count) + " " +
               (reason == "consumer_refused" ? "refuse the consumer (see refusals)"
                : reason == "currency" ? "are priced in another currency than " + manifest.currency
                                       : "have no monthly or hourly price");
      }
      diagnosis->add_summary(std::to_string(outcome.conforming) +
                             " offering(s) satisfy requirement '" + requirement.label + "', but " +
                             why + ".");
    }
  }
  if (every_requirement_served) {
    if (composed.search_exhausted) {
      diagnosis->add_summary("The search stopped at its node budget before finding an answer.");
    }
    for (uint32_t c : composed.blocking_constraints) {
      diagnosis->add_summary(
          "Every requirement has accepted candidates, but no combination meets " +
          constraint_sentence(manifest, manifest.constraints[c], composed.cheapest_price) + ".");
    }
    if (composed.blocking_constraints.empty()) {
      diagnosis->add_summary(
          "Every requirement has accepted candidates, but no combination meets the cross "
          "constraints together.");
    }
  }
}

void lint(const CatalogueIndex& index, const ConsumerManifest& manifest,
          v1::Resolution* resolution) {
  const ShapesProgram& program = *manifest.program;
  const rdf::TermTable& terms = *program.terms;
  for (const Requirement& requirement : manifest.requirements) {
    for (const auto& c : program.shapes[requirement.shape].constraints) {
      if (c.component != Component::kProperty) continue;
      for (uint32_t property : c.shapes) {
        const shacl::Shape& p = program.shapes[property];
        std::string path = shacl::path_to_string(p.path, terms);
        bool present = false;  // some constraint fails when the value is absent
        std::vector<std::string> ranged;
        for (const auto& pc : p.constraints) {
          switch (pc.component) {
            case Component::kMinCount:
              present = present || pc.number >= 1;
              break;
            case Component::kHasValue:
            case Component::kQualifiedMinCount:
              present = true;
              break;
            case Component::kMinInclusive:
            case Component::kMinExclusive:
            case Component::kMaxInclusive:
            case Component::kMaxExclusive:
            case Component::kIn:
            case Component::kPattern:
            case Component::kDatatype:
            case Component::kClass:
            case Component::kMinLength:
            case Component::kMaxLength:
              ranged.push_back("sh:" + std::string(shacl::component_name(pc.component)));
              break;
            default:
              break;
          }
        }
        if (!present && !ranged.empty()) {
          auto* w = resolution->add_warnings();
          w->set_requirement(requirement.iri);
          w->set_shape(node_name(terms, p.node));
          w->set_path(path);
          w->set_code("range_without_min_count");
          w->set_message(path + " has " + ranged.front() +
                         " but no sh:minCount 1: an offering that does not state " + path +
                         " passes this constraint");
        }
        std::vector<TermId> predicates;
        path_predicates(p.path, &predicates);
        for (TermId predicate : predicates) {
          if (index.uses_predicate(predicate)) continue;
          auto* w = resolution->add_warnings();
          w->set_requirement(requirement.iri);
          w->set_shape(node_name(terms, p.node));
          w->set_path(path);
          w->set_code("unknown_path");
          w->set_message("no offering or provider in the catalogue has " +
                         std::string(terms.value(predicate)) + " (as " + path +
                         " needs); check the spelling, or whether the hub has verified the fact");
        }
      }
    }
  }
}

}  // namespace

double great_circle_km(double lat1, double lon1, double lat2, double lon2) {
  constexpr double kRadians = M_PI / 180.0;
  double dlat = (lat2 - lat1) * kRadians;
  double dlon = (lon2 - lon1) * kRadians;
  double a = std::sin(dlat / 2) * std::sin(dlat / 2) + std::cos(lat1 * kRadians) *
                                                           std::cos(lat2 * kRadians) *
                                                           std::sin(dlon / 2) * std::sin(dlon / 2);
  return 2 * 6371.0 * std::asin(std::min(1.0, std::sqrt(a)));
}

// A catalogue of thousands of providers can refuse a consumer thousands of times: the first
// `limit` refusals are listed (provider order), all are counted and grouped by what failed.
void write_refusals(const std::vector<const v1::ProviderRefusal*>& seen, size_t limit,
                    v1::Resolution* resolution) {
  resolution->set_refusals_total(static_cast<int32_t>(seen.size()));
  for (size_t i = 0; i < seen.size() && i < limit; ++i) *resolution->add_refusals() = *seen[i];
  // Per (path, constraint, message): how many providers, each counted once. `seen` is in
  // provider order, so a provider's refusals are adjacent: the last provider counted for a key
  // tells whether this one is new. Views into `seen`, which outlives the map.
  using Key = std::tuple<std::string_view, std::string_view, std::string_view>;
  std::map<Key, std::pair<int32_t, std::string_view>> providers;
  for (const v1::ProviderRefusal* refusal : seen) {
    for (const auto& f : refusal->failures()) {
      auto& [count, last] = providers[Key(f.path(), f.constraint(), f.message())];
      if (count == 0 || last != refusal->provider_id()) {
        ++count;
        last = refusal->provider_id();
      }
    }
  }
  std::vector<v1::RefusalTally> tallies;
  for (const auto& [key, counted] : providers) {
    v1::RefusalTally tally;
    tally.set_path(std::string(std::get<0>(key)));
    tally.set_constraint(std::string(std::get<1>(key)));
    tally.set_message(std::string(std::get<2>(key)));
    tally.set_providers(counted.first);
    tallies.push_back(std::move(tally));
  }
  std::stable_sort(tallies.begin(), tallies.end(),
                   [](const auto& a, const auto& b) { return a.providers() > b.providers(); });
  for (auto& tally : tallies) *resolution->add_refused_for() = std::move(tally);
}

PrerequisiteMemo::Table& PrerequisiteMemo::table(const std::string& key, size_t max_entries,
                                                 size_t slot) {
  auto it = std::find_if(tables_.begin(), tables_.end(),
                         [&](const auto& table) { return table.first == key; });
  if (it == tables_.end()) {
    tables_.emplace_front(key, std::deque<Table>());
    if (tables_.size() > capacity_) tables_.pop_back();
  } else {
    tables_.splice(tables_.begin(), tables_, it);
  }
  std::deque<Table>& slots = tables_.front().second;
  while (slots.size() <= slot) slots.emplace_back();  // a deque keeps the others in place
  Table& table = slots[slot];
  if (table.size() > max_entries) table.clear();
  return table;
}

v1::Resolution resolve(const CatalogueIndex& index, const ConsumerManifest& manifest,
                       const std::vector<Fact>& consumer_facts, const ResolveOptions& options,
                       PrerequisiteMemo* memo) {
  v1::Resolution resolution;
  resolution.set_manifest(manifest.manifest_iri);
  resolution.set_consumer(manifest.consumer_iri);
  resolution.set_currency(manifest.currency);
  resolution.set_catalogue_offerings(static_cast<int64_t>(index.offering_count()));
  for (const Fact& fact : consumer_facts) {
    auto* f = resolution.add_consumer_facts();
    f->set_predicate(fact.predicate);
    f->set_object(fact.object_is_literal ? "\"" + fact.object + "\"" : "<" + fact.object + ">");
    f->set_credential(fact.credential);
    f->set_issuer(fact.issuer);
  }
  Vocabulary vocabulary(*index.terms());
  // Matching the candidates is most of a resolve: up to options.match_threads matchers take
  // disjoint runs of providers. Made here, before any thread starts: a matcher's consumer graph
  // adds terms to the shared table, which the threads then only read.
  std::vector<const std::vector<OfferingRef>*> lists;
  std::vector<AskedKind> kinds;
  for (const Requirement& requirement : manifest.requirements) {
    kinds.push_back(asked_kind(*manifest.program, requirement.shape, vocabulary));
    lists.push_back(kinds.back() ? &index.offerings_of_kind(kinds.back()->first)
                                 : &index.offerings());
  }
  std::unique_ptr<Workers> own_workers;
  Workers* workers = options.workers;
  if (workers == nullptr) {
    own_workers = std::make_unique<Workers>(std::max<size_t>(1, options.match_threads));
    workers = own_workers.get();
  }
  std::vector<std::string> pivots = provider_pivots(
      lists, std::min(options.match_threads, workers->size()), options.candidates_per_thread);
  std::vector<std::unique_ptr<Matcher>> matchers;
  for (size_t m = 0; m <= pivots.size(); ++m) {
    matchers.push_back(
        std::make_unique<Matcher>(index, manifest, consumer_facts, vocabulary, memo, m));
  }
  std::vector<std::vector<MatchedPart>> parts;  // the candidates: outlive the outcomes
  MatchLimits limits;
  limits.nearest = std::max<size_t>(limits.nearest, options.explain_limit);
  std::vector<RequirementOutcome> outcomes = match_requirements(
      index, manifest, lists, kinds, matchers, pivots, vocabulary, limits, *workers, &parts);
  FailureWriter writer(*manifest.program, vocabulary, manifest.currency);
  Problem problem =
      build_problem(index, manifest, outcomes, options.top_k, options.max_search_nodes);
  problem.request.workers = workers;
  CompositionResult composed = compose(problem.request);
  resolution.set_answers_considered(static_cast<int64_t>(composed.feasible));
  resolution.set_search_exhausted(composed.search_exhausted);
  int rank = 1;
  for (const ComposedAnswer& answer : composed.answers) {
    *resolution.add_answers() =
        write_answer(manifest, problem, answer, composed.cheapest_price, rank++);
  }
  resolution.set_satisfiable(!composed.answers.empty());
  for (size_t r = 0; r < outcomes.size(); ++r) {
    write_requirement_report(manifest.requirements[r], outcomes[r], writer, options.explain_limit,
                             resolution.add_requirements());
  }
  // Matchers take runs of providers in order: their refusals joined are in provider order.
  std::vector<const v1::ProviderRefusal*> refusals;
  for (const auto& matcher : matchers) {
    auto seen = matcher->prerequisites.seen();
    refusals.insert(refusals.end(), seen.begin(), seen.end());
  }
  write_refusals(refusals, options.explain_limit, &resolution);
  if (!resolution.satisfiable()) diagnose(manifest, outcomes, writer, composed, &resolution);
  lint(index, manifest, &resolution);
  return resolution;
}

RecheckOutcome recheck(const CatalogueIndex& index, const ConsumerManifest& manifest,
                       const std::vector<Fact>& consumer_facts, const v1::Answer& answer) {
  RecheckOutcome outcome;
  Vocabulary vocabulary(*index.terms());
  ShapeChecks checks(*manifest.program, index);
  Prerequisites prerequisites(index, manifest, consumer_facts, vocabulary);
  CompositionRequest request;
  std::map<std::string, size_t> provider_ids;
  std::map<std::string, size_t> country_ids;
  for (const auto& assignment : answer.assignments()) {
    const Requirement* requirement = nullptr;
    for (const auto& r : manifest.requirements) {
      if (r.iri == assignment.requirement()) requirement = &r;
    }
    auto ref = index.find_offering(assignment.offering());
    if (requirement == nullptr || !ref) {
      outcome.reasons.push_back("offering " + assignment.offering() +
                                " is no longer in the catalogue");
      continue;
    }
    const OfferingEntry& offering = ref->offering();
    std::vector<ValidationResult> results;
    if (!checks.requirement(requirement->shape, *ref, &results)) {
      FailureWriter write(*manifest.program, vocabulary);
      outcome.reasons.push_back("offering " + std::string(offering.iri) + " no longer satisfies '" +
                                requirement->label +
                                "': " + write(results.front(), ref->provider).message());
    }
    for (const auto& refusal : prerequisites.refusals(*ref)) {
      outcome.reasons.push_back(
          ref->provider->provider_id + " now refuses the consumer: " +
          (refusal.label().empty() ? refusal.prerequisite() : refusal.label()));
    }
    const Region* region = nullptr;
    for (const auto& r : ref->provider->regions_of(offering)) {
      if (r.code == assignment.region()) region = &r;
    }
    if (region == nullptr) {
      outcome.reasons.push_back("offering " + std::string(offering.iri) +
                                " is no longer sold in region '" + assignment.region() + "'");
    }
    if (!offering.unit_monthly_price || offering.currency != manifest.currency) {
      outcome.reasons.push_back("offering " + std::string(offering.iri) +
                                " is no longer priced per month in " + manifest.currency);
      continue;
    }
    Placement p;
    p.provider = static_cast<uint32_t>(
        provider_ids.emplace(ref->provider->provider_id, provider_ids.size()).first->second);
    p.country = region == nullptr
                    ? kNoCountry
                    : static_cast<uint32_t>(
                          country_ids.emplace(region->country, country_ids.size()).first->second);
    p.cost = *offering.unit_monthly_price * requirement->quantity;
    outcome.monthly_price_now += p.cost;
    request.placements.push_back({p});
  }
  if (outcome.reasons.empty()) {
    for (const auto& c : manifest.constraints) {
      request.constraints.push_back({c.kind, c.applies_to, c.max_providers, c.max_monthly_price});
    }
    request.top_k = 1;
    if (compose(request).answers.empty()) {
      outcome.reasons.push_back(
          "the assignments no longer meet the manifest's cross constraints at today's prices (" +
          money(outcome.monthly_price_now) + " " + manifest.currency + " a month)");
    }
  }
  return outcome;
}

v1::CheckOfferingReply check_offering(const CatalogueIndex& index, const ConsumerManifest& manifest,
                                      const std::vector<Fact>& consumer_facts,
                                      const Requirement& requirement, const OfferingRef& ref) {
  Vocabulary vocabulary(*index.terms());
  ShapeChecks checks(*manifest.program, index);
  Prerequisites prerequisites(index, manifest, consumer_facts, vocabulary);
  std::pmr::monotonic_buffer_resource arena;  // the candidate's results
  Candidate candidate =
      offering_serves(index, manifest, index.currency_id(manifest.currency), requirement, ref,
                      checks, prerequisites, CheckDepth::kEveryReason, &arena);
  v1::CheckOfferingReply reply;
  reply.set_fits(candidate.reason == Reason::kAccepted);
  const std::string offering(ref.offering().iri);
  auto add_failure = [&](v1::Failure failure) {
    reply.add_reasons("offering " + offering + " does not satisfy '" + requirement.label +
                      "': " + failure.message());
    *reply.add_failures() = std::move(failure);
  };
  // Written as a resolution lists a rejected candidate (FailureWriter::all), claims included.
  FailureWriter write(*manifest.program, vocabulary, manifest.currency);
  for (const auto& r : candidate.results) add_failure(write(r, ref.provider));
  for (auto& f : write.own_failures(candidate)) add_failure(std::move(f));
  if (candidate.refusals != nullptr) {
    for (const auto& refusal : *candidate.refusals) {
      std::string who =
          refusal.provider_id() + " refuses the consumer" +
          (refusal.scope() == "provider" ? "" : " for offering " + refusal.scope()) + " (" +
          (refusal.label().empty() ? refusal.prerequisite() : refusal.label()) + "): ";
      for (const auto& f : refusal.failures()) {
        reply.add_reasons(who + f.message());
        *reply.add_refusals() = f;
      }
    }
  }
  return reply;
}

}  // namespace mpli::resolver
