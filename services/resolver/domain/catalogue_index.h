// The resolver's in-memory view of the federation: every provider's manifest graph with the
// verified facts about its nodes, and per offering what composition needs (kind, regions,
// monthly price). Built from discovery's export and trust's fact export, then kept current one
// provider or one subject at a time from their events.
//
// One TermTable is shared by every provider's graph, the consumer manifests resolved against
// it and the shapes compiled from them, so SHACL validation compares ids. Each provider's
// graph is its own rdf::Graph: replacing a provider re-indexes only its triples. Not
// thread-safe: the service serialises access (resolver_service.h).
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <unordered_map>
#include <vector>

#include "libs/core/status.h"
#include "libs/rdf/graph.h"
#include "libs/shacl/shapes.h"

namespace mpli::resolver {

using rdf::TermId;

inline constexpr std::string_view kMpli = "https://w3id.org/mpli#";
inline constexpr double kHoursPerMonth = 730;  // docs/manifests.md: hourly prices x 730

// A verified fact as trust states it (trust.v1.Fact).
struct Fact {
  std::string subject;
  std::string predicate;
  std::string object;
  bool object_is_literal = false;
  std::string datatype;  // "" for a plain string
  std::string credential;
  std::string issuer;
  bool operator==(const Fact& other) const {
    return std::tie(subject, predicate, object, object_is_literal, datatype, credential, issuer) ==
           std::tie(other.subject, other.predicate, other.object, other.object_is_literal,
                    other.datatype, other.credential, other.issuer);
  }
  bool operator!=(const Fact& other) const { return !(*this == other); }
};

struct Region {
  std::string code;     // mpli:regionCode ("" when the offering names no region)
  std::string country;  // mpli:country (the provider's legal country when no region is named)
  std::optional<double> latitude;
  std::optional<double> longitude;
};

// Regions in a run of an array, for a range-for.
struct Regions {
  const Region* first = nullptr;
  uint32_t count = 0;
  const Region* begin() const { return first; }
  const Region* end() const { return first + count; }
};

// The texts are views of the shared TermTable's terms, which live as long as the table (terms
// are never removed, and each segment's graph holds the table): a million offerings kept their
// IRI and name as strings of their own, 100 bytes each beside the same text in the table.
struct OfferingEntry {
  TermId node = rdf::kNoTerm;
  std::string_view iri;
  std::string_view name;      // schema:name of its gx:ServiceOffering, else of the offering
  std::vector<TermId> kinds;  // mpli:offeringKind values
  // Its regions (by code; at least one): [first_region, + region_count) of its provider's
  // ProviderSegment::regions (ProviderSegment::regions_of). Offerings naming the same regions
  // share one run.
  uint32_t first_region = 0;
  uint32_t region_count = 0;
  std::optional<double> unit_monthly_price;  // nullopt: no price, or a unit with no monthly rate
  std::string currency;
  std::vector<uint32_t> prerequisites;  // offering-level prerequisite shapes (program indexes)
  uint32_t row = 0;                     // its row in the index's columns and OfferingRows
};

struct ProviderSegment {
  std::string provider_id;
  TermId node = rdf::kNoTerm;
  std::string iri;  // "" for a blank provider node
  std::string country;
  rdf::Graph graph;  // manifest plus the verified facts about its nodes
  // The triples of `graph` that facts added (not in the manifest), SPO order: the graph minus
  // these is the manifest, so it is not kept twice (400 MB at a million offerings).
  std::vector<rdf::Triple> fact_triples;
  shacl::ShapesProgram prerequisites;  // every shape in the manifest, compiled once
  std::vector<uint32_t> provider_prerequisites;
  std::vector<OfferingEntry> offerings;
  // The regions of all its offerings in one array, a run per distinct list of regions (a
  // provider's offerings mostly share theirs): composition reads those of thousands of
  // candidates grouped by provider, and one allocation per offering was a cache and TLB miss
  // each (most of building a composition problem).
  std::vector<Region> regions;
  Regions regions_of(const OfferingEntry& offering) const {
    return {regions.data() + offering.first_region, offering.region_count};
  }
  // Claimed standards (mpli:certification / mpli:standard), to say "claimed, not verified".
  std::vector<TermId> claimed_standards;
  std::vector<TermId> predicates;  // used by `graph`, sorted (for lint)
  // Terms the shared table gained when this version was put: left unused once it is replaced
  // or removed (a fair estimate: its blank nodes and changed literals are new each time).
  size_t terms_added = 0;
  // Unique in the process to each (re)attachment of the segment (a new provider, new facts):
  // what is remembered about a provider across requests notes it, and holds while it is equal.
  uint64_t version = 0;
  // Dense among the providers indexed now (one that leaves frees its number for the next):
  // a resolution keeps what it knows per provider in arrays indexed by it.
  uint32_t ordinal = 0;

  explicit ProviderSegment(rdf::TermTablePtr terms) : graph(std::move(terms)) {}
};

// One offering as a candidate: its provider's segment and its index there, with its node, the
// place of its triples in the provider's graph and its row at hand (checking tens of thousands
// of candidates is bound by memory reads; these save three per candidate). 32 bytes: the views
// hold three per offering. Valid until the provider's graph is rebuilt, which re-attaches its
// views.
struct OfferingRef {
  const ProviderSegment* provider = nullptr;
  uint32_t index = 0;
  TermId node = rdf::kNoTerm;
  uint32_t first_triple = 0;  // the node's triples: [first_triple, + triple_count) in SPO order
  uint32_t triple_count = 0;
  uint32_t row = 0;  // offering().row: its row in the index's path columns and OfferingRows
  // The provider or the offering states consumer prerequisites (most ask nothing: their
  // candidates are settled without reading the segment), and the offering itself does.
  bool asks_consumer = false;
  bool offering_asks = false;
  const OfferingEntry& offering() const { return provider->offerings[index]; }
  rdf::TripleRange triples() const {
    const rdf::Triple* first = provider->graph.triples().begin() + first_triple;
    return rdf::TripleRange(first, first + triple_count);
  }
};

// What resolving reads of each candidate that passes its requirement shape, by row, in one
// array: the resolver's own rules (a monthly price, its currency) and what composition places
// (regions, the IRI as tie key), without reading the OfferingEntry and its provider's segment
// (each a cache miss per candidate). The pointers are into the OfferingEntry, which does not
// change while its provider is indexed.
struct OfferingRow {
  double unit_monthly_price = 0;  // when has_monthly_price (OfferingEntry::unit_monthly_price)
  const Region* regions = nullptr;
  const char* iri = nullptr;
  uint32_t iri_size = 0;
  uint32_t region_count = 0;
  TermId provider_node = rdf::kNoTerm;  // ProviderSegment::node
  // ProviderSegment::ordinal: composition numbers a candidate's provider by it, and reading it
  // from the segment was a cache miss per candidate.
  uint32_t provider_ordinal = 0;
  uint16_t currency = 0;  // CatalogueIndex::currency_id of OfferingEntry::currency
  bool has_monthly_price = false;
  // The IRI's first 16 bytes, big-endian, zero-padded: orders most pairs of IRIs without
  // reading their characters (a cache miss each when tens of thousands are compared).
  uint64_t iri_key[2] = {0, 0};
  std::string_view iri_view() const { return {iri, iri_size}; }
  // The order of the IRIs as strings.
  bool iri_before(const OfferingRow& other) const {
    if (iri_key[0] != other.iri_key[0]) return iri_key[0] < other.iri_key[0];
    if (iri_key[1] != other.iri_key[1]) return iri_key[1] < other.iri_key[1];
    return iri_view() < other.iri_view();
  }
};

// A forward path of predicates from an offering node: one predicate, or a sequence of them.
using PredicatePath = std::vector<TermId>;

// The values a PredicatePath reaches from each offering node, by OfferingRef::row: what a
// requirement's property shape sees of a candidate, read from one array instead of from the
// candidate's triples in its provider's graph (at 100,000 offerings those graphs are spread
// over memory, and reading them was most of a resolve). The values of a row are those the SHACL
// engine evaluates the path to: sorted by id, no duplicates.
class PathColumn {
 public:
  // A cell holds the row's only value, kNoTerm when the path reaches nothing, or kSeveral.
  static constexpr TermId kSeveral = ~TermId{0};
  TermId cell(uint32_t row) const { return row < cells_.size() ? cells_[row] : rdf::kNoTerm; }
  // Asks for the cache line of a row's cell, for a scan that will read it soon.
  void prefetch(uint32_t row) const {
    if (row < cells_.size()) __builtin_prefetch(&cells_[row]);
  }
  // The values of a row whose cell is kSeveral.
  const std::vector<TermId>& several(uint32_t row) const { return several_.at(row); }

 private:
  friend class CatalogueIndex;
  void set(uint32_t row, const std::vector<TermId>& values);
  void clear(uint32_t row);

  std::vector<TermId> cells_;
  std::unordered_map<uint32_t, std::vector<TermId>> several_;
  uint64_t last_asked_ = 0;  // CatalogueIndex::column_clock_ when last asked for
};

// Whether a term table of `terms`, `unused` of them unused (CatalogueIndex::unused_terms), is
// worth rebuilding: when the unused outnumber the used by more than `slack`.
bool worth_compacting(size_t terms, size_t unused, size_t slack);

class CatalogueIndex {
 public:
  CatalogueIndex();

  const rdf::TermTablePtr& terms() const { return terms_; }

  // Replaces everything known of `provider_id` with its manifest (N-Triples, as discovery
  // exports it). An empty document removes the provider. A document that does not parse or
  // names no provider is an error and changes nothing.
  Status put_provider(const std::string& provider_id, std::string_view ntriples);
  void remove_provider(const std::string& provider_id);

  // Replaces the facts held about `subject`; the provider graph holding that node is rebuilt.
  void set_facts(const std::string& subject, std::vector<Fact> facts);
  const std::vector<Fact>& facts_about(const std::string& subject) const;

  const std::map<std::string, std::unique_ptr<ProviderSegment>>& providers() const {
    return providers_;
  }
  // Every ProviderSegment::ordinal now is below this.
  size_t provider_ordinals() const { return next_ordinal_; }
  const ProviderSegment* provider(const std::string& provider_id) const;
  // The offering with this IRI, if indexed.
  std::optional<OfferingRef> find_offering(std::string_view iri) const;
  size_t offering_count() const;

  // Candidate offerings: all of them, or those of one mpli:offeringKind.
  const std::vector<OfferingRef>& offerings() const;
  const std::vector<OfferingRef>& offerings_of_kind(TermId kind) const;
  // True when some provider graph uses `predicate` (for lint).
  bool uses_predicate(TermId predicate) const;

  // Path columns: a path asked for is kept from then on, maintained at every change (put,
  // remove, facts), so that requests after the first read it ready. At most kMaxColumns
  // (4 bytes an offering each): asking for another drops the one asked for least recently.
  // Paths longer than kMaxColumnSteps, or empty, get no column (nullptr).
  static constexpr size_t kMaxColumns = 32;
  static constexpr size_t kMaxColumnSteps = 4;
  const PathColumn* add_column(const PredicatePath& path);
  // The column of `path` if kept, else nullptr.
  const PathColumn* column(const PredicatePath& path) const;

  const OfferingRow& row(uint32_t row) const { return rows_[row]; }
  // Currencies of offerings as small ids (equal ids, equal strings); kOtherCurrency for the
  // few beyond what an id holds (compare OfferingEntry::currency then) and for strings no
  // offering uses.
  static constexpr uint16_t kOtherCurrency = 0xFFFF;
  uint16_t currency_id(const std::string& currency) const;

  // Changes applied since creation (a cheap "version" for logs and tests).
  uint64_t generation() const { return generation_; }

  // Terms of the shared table that nothing indexed uses any more, as far as the index can
  // tell: those replaced and removed provider versions added (ProviderSegment::terms_added),
  // plus what the caller reports with add_unused_terms (the terms each consumer manifest read
  // into the table adds). The table only grows; a rebuild pays when this is a large share.
  size_t unused_terms() const { return unused_terms_; }
  void add_unused_terms(size_t terms) { unused_terms_ += terms; }

 private:
  // The graph of `segment`: `manifest` (SPO order, no duplicates) plus the facts now held.
  void rebuild_graph(ProviderSegment& segment, rdf::TripleRange manifest) const;
  // The views follow each change: a provider's offerings leave and enter them (kept in
  // provider order, so candidates come grouped by provider), rather than rebuilding them all
  // on the next read (at a million offerings that was most of a resolve after each event).
  // They also give the segment's offerings their rows and fill or clear them in the columns.
  void attach_views(ProviderSegment& segment);
  void detach_views(const ProviderSegment& segment);
  void fill_column(PathColumn& column, const PredicatePath& path,
                   const ProviderSegment& segment) const;
  void fill_row(OfferingRow& row, const ProviderSegment& segment, const OfferingEntry& offering);
  static OfferingRef ref_of(const ProviderSegment& segment, uint32_t index);
  void count_predicates(const ProviderSegment& segment, int delta);
  void add_fact_triples(const std::vector<Fact>& facts, rdf::Graph& graph) const;

  rdf::TermTablePtr terms_;
  std::map<std::string, std::unique_ptr<ProviderSegment>> providers_;
  std::unordered_map<std::string, std::vector<Fact>> facts_;  // by subject IRI
  // Provider IRI -> its segment (views of ProviderSegment::iri); an offering's is in by_iri_.
  // Facts name one or the other.
  std::unordered_map<std::string_view, ProviderSegment*> by_provider_iri_;
  uint64_t generation_ = 0;
  size_t unused_terms_ = 0;

  std::vector<OfferingRef> all_;
  std::unordered_map<TermId, std::vector<OfferingRef>> by_kind_;
  std::unordered_map<TermId, uint32_t> predicate_use_;  // providers whose graph uses it
  // Where each IRI's offering is (views of OfferingEntry::iri): the ref is made when asked,
  // as the map holds a million of them at a million offerings.
  struct OfferingAt {
    const ProviderSegment* segment;
    uint32_t index;
  };
  std::unordered_map<std::string_view, OfferingAt> by_iri_;

  std::map<PredicatePath, std::unique_ptr<PathColumn>> columns_;
  uint64_t column_clock_ = 0;
  std::vector<OfferingRow> rows_;        // by row; the size is the rows handed out so far
  std::vector<uint32_t> free_rows_;      // of offerings that left, handed out again first
  std::vector<uint32_t> free_ordinals_;  // of providers that left, handed out again first
  uint32_t next_ordinal_ = 0;
  std::unordered_map<std::string, uint16_t> currency_ids_;
};

}  // namespace mpli::resolver
