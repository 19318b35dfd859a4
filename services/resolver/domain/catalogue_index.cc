#include "services/resolver/domain/catalogue_index.h"

#include <algorithm>
#include <atomic>
#include <charconv>
#include <cstdlib>
#include <iterator>
#include <map>
#include <set>
#include <tuple>

#include "libs/rdf/parser.h"
#include "services/resolver/domain/graph_reading.h"

namespace mpli::resolver {

namespace {

// The order of rdf::Graph's triples().
bool spo_before(const rdf::Triple& a, const rdf::Triple& b) {
  return std::tie(a.s, a.p, a.o) < std::tie(b.s, b.p, b.o);
}

const std::string kSchema = "https://schema.org/";

std::string mpli_iri(std::string_view local) { return std::string(kMpli) + std::string(local); }

// The vocabulary the index reads, interned once per table.
struct Terms {
  TermId rdf_type, provider_class, offering_class, provider, provider_id, offering_kind, region,
      region_code, country, latitude, longitude, price, amount, currency, unit_code, name,
      service_offering, legal_person, legal_address, country_code, prerequisite, certification,
      standard;
  explicit Terms(rdf::TermTable& t)
      : rdf_type(t.well_known().rdf_type),
        provider_class(t.iri(mpli_iri("Provider"))),
        offering_class(t.iri(mpli_iri("Offering"))),
        provider(t.iri(mpli_iri("provider"))),
        provider_id(t.iri(mpli_iri("providerId"))),
        offering_kind(t.iri(mpli_iri("offeringKind"))),
        region(t.iri(mpli_iri("region"))),
        region_code(t.iri(mpli_iri("regionCode"))),
        country(t.iri(mpli_iri("country"))),
        latitude(t.iri(kSchema + "latitude")),
        longitude(t.iri(kSchema + "longitude")),
        price(t.iri(mpli_iri("price"))),
        amount(t.iri(kSchema + "price")),
        currency(t.iri(kSchema + "priceCurrency")),
        unit_code(t.iri(kSchema + "unitCode")),
        name(t.iri(kSchema + "name")),
        service_offering(t.iri(mpli_iri("serviceOffering"))),
        legal_person(t.iri(mpli_iri("legalPerson"))),
        legal_address(t.iri("https://w3id.org/gaia-x/development#legalAddress")),
        country_code(t.iri("https://w3id.org/gaia-x/development#countryCode")),
        prerequisite(t.iri(mpli_iri("consumerPrerequisite"))),
        certification(t.iri(mpli_iri("certification"))),
        standard(t.iri(mpli_iri("standard"))) {}
};

// The text of the object, a view of the shared table's term (valid as long as the table).
std::string_view text_view_of(const rdf::Graph& graph, TermId subject, TermId predicate) {
  TermId value = graph.object(subject, predicate);
  return value == rdf::kNoTerm ? std::string_view() : graph.terms().value(value);
}

std::string text_of(const rdf::Graph& graph, TermId subject, TermId predicate) {
  return std::string(text_view_of(graph, subject, predicate));
}

// schema:price per schema:unitCode as a monthly price: "MON" as is, "HUR" x 730; other units
// have no monthly equivalent.
std::optional<double> monthly(double amount, const std::string& unit) {
  if (unit == "MON") return amount;
  if (unit == "HUR") return amount * kHoursPerMonth;
  return std::nullopt;
}

std::vector<uint32_t> shape_indexes(const shacl::ShapesProgram& program,
                                    const std::vector<TermId>& nodes) {
  std::vector<uint32_t> out;
  for (TermId node : nodes) {
    for (uint32_t i = 0; i < program.shapes.size(); ++i) {
      if (program.shapes[i].node == node && !program.shapes[i].is_property) out.push_back(i);
    }
  }
  return out;
}

// An offering as the index keeps it, and its regions (sorted by code; at least one), which
// the segment keeps for all its offerings in one array.
struct ReadOffering {
  OfferingEntry entry;
  std::vector<Region> regions;
};

ReadOffering read_offering(const rdf::Graph& graph, const Terms& v, TermId node,
                           const std::string& provider_country) {
  const rdf::TermTable& terms = graph.terms();
  OfferingEntry entry;
  std::vector<Region> regions;
  entry.node = node;
  entry.iri = terms.value(node);
  TermId service = graph.object(node, v.service_offering);
  if (service != rdf::kNoTerm) entry.name = text_view_of(graph, service, v.name);
  if (entry.name.empty()) entry.name = text_view_of(graph, node, v.name);
  entry.kinds = objects_of(graph, node, v.offering_kind);
  for (TermId region : objects_of(graph, node, v.region)) {
    Region r;
    r.code = text_of(graph, region, v.region_code);
    r.country = text_of(graph, region, v.country);
    r.latitude = number_of(terms, graph.object(region, v.latitude));
    r.longitude = number_of(terms, graph.object(region, v.longitude));
    regions.push_back(std::move(r));
  }
  std::sort(regions.begin(), regions.end(),
            [](const Region& a, const Region& b) { return a.code < b.code; });
  if (regions.empty()) regions.push_back(Region{"", provider_country, {}, {}});
  TermId price = graph.object(node, v.price);
  if (price != rdf::kNoTerm) {
    auto amount = number_of(terms, graph.object(price, v.amount));
    entry.currency = text_of(graph, price, v.currency);
    if (amount) entry.unit_monthly_price = monthly(*amount, text_of(graph, price, v.unit_code));
  }
  return {std::move(entry), std::move(regions)};
}

// Where an offering's regions are in its segment's array: a run equal to one stored for an
// earlier offering is shared, else they are appended. Only earlier runs are compared (not
// every sub-range), and at most kMaxRuns of them, so a provider of many offerings with
// regions all different costs a bounded search each.
struct RegionRun {
  uint32_t first = 0;
  uint32_t count = 0;
};

bool same_region(const Region& a, const Region& b) {
  return a.code == b.code && a.country == b.country && a.latitude == b.latitude &&
         a.longitude == b.longitude;
}

RegionRun region_run(std::vector<Region>& regions, std::vector<RegionRun>& runs,
                     std::vector<Region>& stored) {
  constexpr size_t kMaxRuns = 64;
  for (const RegionRun& run : runs) {
    if (run.count == regions.size() &&
        std::equal(regions.begin(), regions.end(), stored.begin() + run.first, same_region)) {
      return run;
    }
  }
  RegionRun run{static_cast<uint32_t>(stored.size()), static_cast<uint32_t>(regions.size())};
  std::move(regions.begin(), regions.end(), std::back_inserter(stored));
  if (runs.size() < kMaxRuns) runs.push_back(run);
  return run;
}

}  // namespace

bool worth_compacting(size_t terms, size_t unused, size_t slack) {
  unused = std::min(unused, terms);
  return unused > terms - unused + slack;
}

CatalogueIndex::CatalogueIndex() : terms_(std::make_shared<rdf::TermTable>()) {}

Status CatalogueIndex::put_provider(const std::string& provider_id, std::string_view ntriples) {
  if (ntriples.find_first_not_of(" \t\r\n") == std::string_view::npos) {
    remove_provider(provider_id);
    return Status::ok();
  }
  const size_t terms_before = terms_->size();
  auto segment = std::make_unique<ProviderSegment>(terms_);
  rdf::Graph parsed(terms_);
  rdf::ParseOptions options;
  options.syntax = rdf::Syntax::kNTriples;
  MPLI_RETURN_IF_ERROR(rdf::parse_string(ntriples, "provider " + provider_id, parsed, options));
  parsed.index();
  Terms v(*terms_);
  TermId provider_node = rdf::kNoTerm;
  for (const rdf::Triple& t : parsed.with_predicate_object(v.rdf_type, v.provider_class)) {
    provider_node = t.s;
    break;
  }
  if (provider_node == rdf::kNoTerm) {
    return invalid_argument("the manifest of provider '" + provider_id +
                            "' has no node typed mpli:Provider");
  }
  segment->provider_id = provider_id;
  segment->node = provider_node;
  if (terms_->is_iri(provider_node)) segment->iri = std::string(terms_->value(provider_node));
  TermId legal = parsed.object(provider_node, v.legal_person);
  TermId address = legal == rdf::kNoTerm ? rdf::kNoTerm : parsed.object(legal, v.legal_address);
  if (address != rdf::kNoTerm) segment->country = text_of(parsed, address, v.country_code);
  for (TermId claim : objects_of(parsed, provider_node, v.certification)) {
    for (TermId standard : objects_of(parsed, claim, v.standard)) {
      segment->claimed_standards.push_back(standard);
    }
  }
  auto program = shacl::compile_shapes(parsed);
  if (!program.is_ok()) {
    return invalid_argument("the prerequisites of provider '" + provider_id +
                            "' do not compile: " + program.status().message());
  }
  segment->prerequisites = std::move(*program);
  segment->provider_prerequisites =
      shape_indexes(segment->prerequisites, objects_of(parsed, provider_node, v.prerequisite));
  std::vector<ReadOffering> offerings;
  for (const rdf::Triple& t : parsed.with_predicate_object(v.rdf_type, v.offering_class)) {
    if (parsed.object(t.s, v.provider) != provider_node || !terms_->is_iri(t.s)) continue;
    ReadOffering read = read_offering(parsed, v, t.s, segment->country);
    read.entry.prerequisites =
        shape_indexes(segment->prerequisites, objects_of(parsed, t.s, v.prerequisite));
    offerings.push_back(std::move(read));
  }
  std::sort(offerings.begin(), offerings.end(),
            [](const ReadOffering& a, const ReadOffering& b) { return a.entry.iri < b.entry.iri; });
  segment->offerings.reserve(offerings.size());
  std::vector<RegionRun> runs;
  for (ReadOffering& read : offerings) {
    RegionRun run = region_run(read.regions, runs, segment->regions);
    read.entry.first_region = run.first;
    read.entry.region_count = run.count;
    segment->offerings.push_back(std::move(read.entry));
  }
  segment->regions.shrink_to_fit();
  remove_provider(provider_id);
  if (!segment->iri.empty()) {
    // Erased first: the key is a view of this segment's string, not of another's.
    by_provider_iri_.erase(segment->iri);
    by_provider_iri_.emplace(segment->iri, segment.get());
  }
  rebuild_graph(*segment, parsed.triples());
  attach_views(*segment);
  segment->terms_added = terms_->size() - terms_before;
  providers_[provider_id] = std::move(segment);
  ++generation_;
  return Status::ok();
}

void CatalogueIndex::remove_provider(const std::string& provider_id) {
  auto it = providers_.find(provider_id);
  if (it == providers_.end()) return;
  if (!it->second->iri.empty()) {
    auto known = by_provider_iri_.find(it->second->iri);
    if (known != by_provider_iri_.end() && known->second == it->second.get()) {
      by_provider_iri_.erase(known);
    }
  }
  detach_views(*it->second);
  unused_terms_ += it->second->terms_added;
  providers_.erase(it);
  ++generation_;
}

void CatalogueIndex::set_facts(const std::string& subject, std::vector<Fact> facts) {
  if (facts.empty()) {
    facts_.erase(subject);
  } else {
    facts_[subject] = std::move(facts);
  }
  ++generation_;
  // A provider's node or one of its offerings'; else a consumer, or not (yet) indexed.
  ProviderSegment* owner = nullptr;
  if (auto provider = by_provider_iri_.find(subject); provider != by_provider_iri_.end()) {
    owner = provider->second;
  } else if (auto offering = by_iri_.find(subject); offering != by_iri_.end()) {
    owner = providers_.at(offering->second.segment->provider_id).get();
  }
  if (owner != nullptr) {
    // The offerings stay, but their triples move and the predicates used may change.
    ProviderSegment& changed = *owner;
    detach_views(changed);
    std::vector<rdf::Triple> manifest;
    manifest.reserve(changed.graph.size() - changed.fact_triples.size());
    std::set_difference(changed.graph.triples().begin(), changed.graph.triples().end(),
                        changed.fact_triples.begin(), changed.fact_triples.end(),
                        std::back_inserter(manifest), spo_before);
    rebuild_graph(changed, rdf::TripleRange(manifest.data(), manifest.data() + manifest.size()));
    attach_views(changed);
  }
}

const std::vector<Fact>& CatalogueIndex::facts_about(const std::string& subject) const {
  static const std::vector<Fact> kNone;
  auto it = facts_.find(subject);
  return it == facts_.end() ? kNone : it->second;
}

void CatalogueIndex::add_fact_triples(const std::vector<Fact>& facts, rdf::Graph& graph) const {
  rdf::TermTable& terms = *terms_;
  for (const Fact& fact : facts) {
    TermId object =
        fact.object_is_literal
            ? terms.literal(fact.object,
                            fact.datatype.empty() ? rdf::kNoTerm : terms.iri(fact.datatype))
            : terms.iri(fact.object);
    graph.add(terms.iri(fact.subject), terms.iri(fact.predicate), object);
  }
}

void CatalogueIndex::rebuild_graph(ProviderSegment& segment, rdf::TripleRange manifest) const {
  rdf::Graph graph(terms_);
  // Resolving walks offerings from their nodes; only an inverse path needs triples by
  // predicate, and that graph then builds them (the index is used under the service's lock).
  graph.build_predicate_index_on_demand();
  graph.reserve(manifest.size());
  for (const rdf::Triple& t : manifest) graph.add(t);
  if (!segment.iri.empty()) add_fact_triples(facts_about(segment.iri), graph);
  if (!facts_.empty()) {
    // facts_ is keyed by std::string (C++17 has no look-up by view): one buffer for every
    // offering's IRI rather than a string of its own each.
    std::string subject;
    for (const OfferingEntry& offering : segment.offerings) {
      subject.assign(offering.iri.data(), offering.iri.size());
      add_fact_triples(facts_about(subject), graph);
    }
  }
  graph.index();
  segment.fact_triples.clear();
  std::set_difference(graph.triples().begin(), graph.triples().end(), manifest.begin(),
                      manifest.end(), std::back_inserter(segment.fact_triples), spo_before);
  segment.fact_triples.shrink_to_fit();
  segment.predicates.clear();
  for (const rdf::Triple& t : graph.triples()) segment.predicates.push_back(t.p);
  std::sort(segment.predicates.begin(), segment.predicates.end());
  segment.predicates.erase(std::unique(segment.predicates.begin(), segment.predicates.end()),
                           segment.predicates.end());
  segment.predicates.shrink_to_fit();  // a few dozen kept of every triple's, 100,000 times
  segment.graph = std::move(graph);
}

const ProviderSegment* CatalogueIndex::provider(const std::string& provider_id) const {
  auto it = providers_.find(provider_id);
  return it == providers_.end() ? nullptr : it->second.get();
}

size_t CatalogueIndex::offering_count() const { return all_.size(); }

namespace {

bool provider_before(const OfferingRef& ref, const std::string& provider_id) {
  return ref.provider->provider_id < provider_id;
}

// `refs` is in provider order: a provider's run is found by binary search.
void erase_run(std::vector<OfferingRef>& refs, const ProviderSegment& segment) {
  auto first = std::lower_bound(refs.begin(), refs.end(), segment.provider_id, provider_before);
  auto last = first;
  while (last != refs.end() && last->provider == &segment) ++last;
  refs.erase(first, last);
}

void insert_run(std::vector<OfferingRef>& refs, const std::vector<OfferingRef>& run) {
  if (run.empty()) return;
  auto at = std::lower_bound(refs.begin(), refs.end(), run.front().provider->provider_id,
                             provider_before);
  refs.insert(at, run.begin(), run.end());
}

}  // namespace

OfferingRef CatalogueIndex::ref_of(const ProviderSegment& segment, uint32_t index) {
  const OfferingEntry& offering = segment.offerings[index];
  rdf::TripleRange own = segment.graph.with_subject(offering.node);
  OfferingRef ref;
  ref.provider = &segment;
  ref.index = index;
  ref.node = offering.node;
  ref.first_triple = static_cast<uint32_t>(own.begin() - segment.graph.triples().begin());
  ref.triple_count = static_cast<uint32_t>(own.size());
  ref.row = offering.row;
  ref.offering_asks = !offering.prerequisites.empty();
  ref.asks_consumer = ref.offering_asks || !segment.provider_prerequisites.empty();
  return ref;
}

void CatalogueIndex::attach_views(ProviderSegment& segment) {
  // Process-wide: a segment of another index (after a compaction) at the same address never
  // takes an earlier one's version.
  static std::atomic<uint64_t> versions{0};
  segment.version = ++versions;
  if (free_ordinals_.empty()) {
    segment.ordinal = next_ordinal_++;
  } else {
    segment.ordinal = free_ordinals_.back();
    free_ordinals_.pop_back();
  }
  std::vector<OfferingRef> run;
  std::map<TermId, std::vector<OfferingRef>> by_kind;
  for (uint32_t i = 0; i < segment.offerings.size(); ++i) {
    OfferingEntry& offering = segment.offerings[i];
    if (free_rows_.empty()) {
      offering.row = static_cast<uint32_t>(rows_.size());
      rows_.emplace_back();
    } else {
      offering.row = free_rows_.back();
      free_rows_.pop_back();
    }
    fill_row(rows_[offering.row], segment, offering);
    OfferingRef ref = ref_of(segment, i);
    run.push_back(ref);
    // Erased first: the key is a view of this segment's string, not of a replaced one's.
    by_iri_.erase(offering.iri);
    by_iri_.emplace(offering.iri, OfferingAt{&segment, i});
    for (TermId kind : offering.kinds) by_kind[kind].push_back(ref);
  }
  insert_run(all_, run);
  for (const auto& [kind, refs] : by_kind) insert_run(by_kind_[kind], refs);
  count_predicates(segment, +1);
  for (auto& [path, column] : columns_) fill_column(*column, path, segment);
}

void CatalogueIndex::count_predicates(const ProviderSegment& segment, int delta) {
  for (TermId predicate : segment.predicates) {
    uint32_t& use = predicate_use_[predicate];
    use += static_cast<uint32_t>(delta);
    if (use == 0) predicate_use_.erase(predicate);
  }
}

void CatalogueIndex::detach_views(const ProviderSegment& segment) {
  std::set<TermId> kinds;
  for (const OfferingEntry& offering : segment.offerings) {
    auto known = by_iri_.find(offering.iri);
    if (known != by_iri_.end() && known->second.segment == &segment) by_iri_.erase(known);
    kinds.insert(offering.kinds.begin(), offering.kinds.end());
  }
  erase_run(all_, segment);
  for (TermId kind : kinds) {
    auto refs = by_kind_.find(kind);
    if (refs == by_kind_.end()) continue;
    erase_run(refs->second, segment);
    if (refs->second.empty()) by_kind_.erase(refs);
  }
  count_predicates(segment, -1);
  free_ordinals_.push_back(segment.ordinal);
  for (const OfferingEntry& offering : segment.offerings) {
    for (auto& entry : columns_) entry.second->clear(offering.row);
    rows_[offering.row] = OfferingRow{};  // no pointers into a segment about to go
    free_rows_.push_back(offering.row);
  }
}

const std::vector<OfferingRef>& CatalogueIndex::offerings() const { return all_; }

const std::vector<OfferingRef>& CatalogueIndex::offerings_of_kind(TermId kind) const {
  static const std::vector<OfferingRef> kNone;
  auto it = by_kind_.find(kind);
  return it == by_kind_.end() ? kNone : it->second;
}

std::optional<OfferingRef> CatalogueIndex::find_offering(std::string_view iri) const {
  auto it = by_iri_.find(iri);
  if (it == by_iri_.end()) return std::nullopt;
  return ref_of(*it->second.segment, it->second.index);
}

bool CatalogueIndex::uses_predicate(TermId predicate) const {
  return predicate_use_.count(predicate) > 0;
}

void PathColumn::set(uint32_t row, const std::vector<TermId>& values) {
  if (cells_.size() <= row) cells_.resize(row + 1, rdf::kNoTerm);
  several_.erase(row);
  if (values.size() <= 1) {
    cells_[row] = values.empty() ? rdf::kNoTerm : values.front();
  } else {
    cells_[row] = kSeveral;
    several_.emplace(row, values);
  }
}

void PathColumn::clear(uint32_t row) {
  if (row < cells_.size()) cells_[row] = rdf::kNoTerm;
  several_.erase(row);
}

namespace {

// The nodes `path` reaches from `node`, as the SHACL engine's path evaluation finds them:
// each step's objects of every node reached so far, sorted and without duplicates.
void path_values(const rdf::Graph& graph, TermId node, const PredicatePath& path,
                 std::vector<TermId>* values, std::vector<TermId>* next) {
  values->assign(1, node);
  for (TermId predicate : path) {
    next->clear();
    for (TermId from : *values) {
      for (const rdf::Triple& t : graph.with_subject_predicate(from, predicate)) {
        next->push_back(t.o);
      }
    }
    std::sort(next->begin(), next->end());
    next->erase(std::unique(next->begin(), next->end()), next->end());
    std::swap(*values, *next);
  }
}

}  // namespace

void CatalogueIndex::fill_column(PathColumn& column, const PredicatePath& path,
                                 const ProviderSegment& segment) const {
  std::vector<TermId> values;
  std::vector<TermId> next;
  for (const OfferingEntry& offering : segment.offerings) {
    path_values(segment.graph, offering.node, path, &values, &next);
    column.set(offering.row, values);
  }
}

const PathColumn* CatalogueIndex::add_column(const PredicatePath& path) {
  if (path.empty() || path.size() > kMaxColumnSteps) return nullptr;
  ++column_clock_;
  auto known = columns_.find(path);
  if (known != columns_.end()) {
    known->second->last_asked_ = column_clock_;
    return known->second.get();
  }
  if (columns_.size() >= kMaxColumns) {
    auto oldest = std::min_element(
        columns_.begin(), columns_.end(),
        [](const auto& a, const auto& b) { return a.second->last_asked_ < b.second->last_asked_; });
    columns_.erase(oldest);
  }
  auto column = std::make_unique<PathColumn>();
  column->last_asked_ = column_clock_;
  column->cells_.assign(rows_.size(), rdf::kNoTerm);
  for (const auto& entry : providers_) fill_column(*column, path, *entry.second);
  return columns_.emplace(path, std::move(column)).first->second.get();
}

void CatalogueIndex::fill_row(OfferingRow& row, const ProviderSegment& segment,
                              const OfferingEntry& offering) {
  row.provider_node = segment.node;
  row.provider_ordinal = segment.ordinal;
  row.has_monthly_price = offering.unit_monthly_price.has_value();
  row.unit_monthly_price = offering.unit_monthly_price.value_or(0);
  row.regions = segment.regions.data() + offering.first_region;
  row.region_count = offering.region_count;
  row.iri = offering.iri.data();
  row.iri_size = static_cast<uint32_t>(offering.iri.size());
  row.iri_key[0] = row.iri_key[1] = 0;
  for (size_t i = 0; i < 16; ++i) {
    uint64_t byte = i < offering.iri.size() ? static_cast<unsigned char>(offering.iri[i]) : 0;
    row.iri_key[i / 8] = (row.iri_key[i / 8] << 8) | byte;
  }
  auto currency = currency_ids_.find(offering.currency);
  if (currency == currency_ids_.end() && currency_ids_.size() < kOtherCurrency) {
    auto id = static_cast<uint16_t>(currency_ids_.size());
    currency = currency_ids_.emplace(offering.currency, id).first;
  }
  row.currency = currency == currency_ids_.end() ? kOtherCurrency : currency->second;
}

uint16_t CatalogueIndex::currency_id(const std::string& currency) const {
  auto known = currency_ids_.find(currency);
  return known == currency_ids_.end() ? kOtherCurrency : known->second;
}

const PathColumn* CatalogueIndex::column(const PredicatePath& path) const {
  auto known = columns_.find(path);
  return known == columns_.end() ? nullptr : known->second.get();
}

}  // namespace mpli::resolver
