#include "libs/shacl/node_check_cache.h"

#include <algorithm>

namespace mpli::shacl {
namespace {

// Components that compare the value nodes with the focus's own values.
bool looks_at_focus(Component c) {
  return c == Component::kEquals || c == Component::kDisjoint || c == Component::kLessThan ||
         c == Component::kLessThanOrEquals;
}

}  // namespace

size_t NodeCheckCache::KeyHash::operator()(const Key& key) const {
  uint64_t h = 0x9e3779b97f4a7c15ULL;
  for (uint64_t part : key) {
    h ^= part + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
  }
  return static_cast<size_t>(h);
}

NodeCheckCache::Member NodeCheckCache::member_of(uint32_t property_shape) const {
  const Shape& p = program_.shapes[property_shape];
  Member member;
  member.shape = property_shape;
  const Path* first = &p.path;
  if (first->kind == Path::Kind::kSequence)
    first = first->steps.empty() ? nullptr : &first->steps[0];
  if (p.deactivated || first == nullptr || first->kind != Path::Kind::kPredicate) return member;
  bool values_only = p.path.kind == Path::Kind::kPredicate;
  for (const Constraint& c : p.constraints) {
    if (looks_at_focus(c.component)) return member;
    values_only = values_only && looks_at_value_terms_only(c.component);
  }
  member.cacheable = true;
  member.graph_independent = values_only;
  member.first_predicate = first->predicate;
  return member;
}

NodeCheckCache::Plan& NodeCheckCache::plan_of(uint32_t shape) {
  auto known = plans_.find(shape);
  if (known != plans_.end()) return known->second;
  Plan plan;
  const Shape& node_shape = program_.shapes[shape];
  plan.cacheable = !node_shape.deactivated && !node_shape.is_property;
  for (const Constraint& c : node_shape.constraints) {
    if (c.component != Component::kProperty) plan.cacheable = false;
  }
  if (plan.cacheable) {
    for (const Constraint& c : node_shape.constraints)
      plan.members.push_back(member_of(c.shapes.front()));
  }
  return plans_.emplace(shape, std::move(plan)).first->second;
}

NodeCheckCache::Key& NodeCheckCache::key_for(const Member& member, rdf::TripleRange own,
                                             const rdf::Graph& data) {
  scratch_.clear();
  scratch_.push_back(member.shape);
  scratch_.push_back(member.graph_independent ? 0 : reinterpret_cast<uintptr_t>(&data));
  // `own` is in SPO order: the first step's objects are one sorted run, so equal sets give
  // equal keys.
  const rdf::Triple* first =
      std::lower_bound(own.begin(), own.end(), member.first_predicate,
                       [](const rdf::Triple& t, TermId predicate) { return t.p < predicate; });
  for (const rdf::Triple* t = first; t != own.end() && t->p == member.first_predicate; ++t) {
    scratch_.push_back(t->o);
  }
  return scratch_;
}

}  // namespace mpli::shacl
