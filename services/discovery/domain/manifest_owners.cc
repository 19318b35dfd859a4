#include "services/discovery/domain/manifest_owners.h"

#include <algorithm>
#include <deque>
#include <set>
#include <unordered_map>

#include "services/discovery/domain/manifest_reader.h"

namespace mpli::discovery {
namespace {

using rdf::kNoTerm;
using rdf::TermId;

constexpr const char* kSchemaName = "https://schema.org/name";
// Manifests nest a few levels (offering, price; provider, claim, credential): a walk up that
// goes further is going round a cycle or through unrelated nodes.
constexpr int kMaxDepth = 8;

class Owners {
 public:
  explicit Owners(const rdf::Graph& graph) : graph_(graph), terms_(graph.terms()) {
    offering_ = terms_.find_iri(std::string(kMpli) + "Offering");
    provider_ = terms_.find_iri(std::string(kMpli) + "Provider");
    for (const auto& t : graph.triples()) {
      if (t.s != t.o && !terms_.is_literal(t.o)) parents_[t.o].push_back(t.s);
    }
  }

  bool is_owner(TermId node) const { return kind_of(node) != nullptr; }
  const char* kind_of(TermId node) const {
    TermId type = terms_.well_known().rdf_type;
    if (offering_ != kNoTerm && graph_.contains(node, type, offering_)) return "offering";
    if (provider_ != kNoTerm && graph_.contains(node, type, provider_)) return "provider";
    return nullptr;
  }

  // The nearest owners above `node` (breadth first); the provider when they are several.
  TermId owner_of(TermId node) const {
    std::set<TermId> found;
    std::set<TermId> seen{node};
    std::vector<TermId> level{node};
    for (int depth = 0; depth <= kMaxDepth && found.empty() && !level.empty(); ++depth) {
      std::vector<TermId> next;
      for (TermId n : level) {
        if (is_owner(n)) {
          found.insert(n);
          continue;
        }
        auto it = parents_.find(n);
        if (it == parents_.end()) continue;
        for (TermId parent : it->second) {
          if (seen.insert(parent).second) next.push_back(parent);
        }
      }
      level = std::move(next);
    }
    if (found.size() == 1) return *found.begin();
    if (found.empty()) return kNoTerm;
    return the_provider();
  }

  TermId the_provider() const {
    if (provider_ == kNoTerm) return kNoTerm;
    auto typed = graph_.with_predicate_object(terms_.well_known().rdf_type, provider_);
    return typed.size() == 1 ? typed.begin()->s : kNoTerm;
  }

  std::string name_of(TermId owner) const {
    TermId name = terms_.find_iri(kSchemaName);
    TermId via = terms_.find_iri(std::string(kMpli) +
                                 (graph_.contains(owner, terms_.well_known().rdf_type, offering_)
                                      ? "serviceOffering"
                                      : "legalPerson"));
    for (TermId node : {graph_.object(owner, via), owner}) {
      if (node == kNoTerm || name == kNoTerm) continue;
      TermId text = graph_.object(node, name);
      if (text != kNoTerm && terms_.is_literal(text)) return std::string(terms_.value(text));
    }
    return "";
  }

 private:
  const rdf::Graph& graph_;
  const rdf::TermTable& terms_;
  TermId offering_ = kNoTerm;
  TermId provider_ = kNoTerm;
  std::unordered_map<TermId, std::vector<TermId>> parents_;
};

}  // namespace

bool ManifestNode::operator==(const ManifestNode& other) const {
  return iri == other.iri && kind == other.kind && name == other.name && line == other.line;
}

std::vector<ManifestNode> assign_owners(const rdf::Graph& manifest,
                                        const rdf::NodePositions& positions,
                                        std::vector<Violation>& violations) {
  const rdf::TermTable& terms = manifest.terms();
  // Violations name their focus node in N-Triples form; every node of the manifest is a
  // subject or an object of some triple.
  std::unordered_map<std::string, TermId> by_text;
  for (const auto& t : manifest.triples()) {
    by_text.emplace(terms.to_ntriples(t.s), t.s);
    if (!terms.is_literal(t.o)) by_text.emplace(terms.to_ntriples(t.o), t.o);
  }
  Owners owners(manifest);
  std::vector<ManifestNode> named;
  for (Violation& v : violations) {
    auto focus = by_text.find(v.focus_node);
    if (focus == by_text.end()) continue;
    TermId owner = owners.owner_of(focus->second);
    if (owner == kNoTerm || terms.is_blank(owner)) continue;
    v.owner = std::string(terms.value(owner));
    bool known = std::any_of(named.begin(), named.end(),
                             [&](const ManifestNode& n) { return n.iri == v.owner; });
    if (known) continue;
    ManifestNode node{v.owner, owners.kind_of(owner), owners.name_of(owner), 0};
    auto at = positions.find(owner);
    if (at != positions.end()) node.line = at->second.line;
    named.push_back(std::move(node));
  }
  return named;
}

}  // namespace mpli::discovery
