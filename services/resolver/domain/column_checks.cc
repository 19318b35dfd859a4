#include "services/resolver/domain/column_checks.h"

#include <limits>
#include <type_traits>

namespace mpli::resolver {

namespace {

using shacl::Component;
using shacl::Shape;
using shacl::ShapesProgram;
using shacl::ValidationResult;

// Deeper nesting of shapes than this is left to the engine (it also stops recursive shapes,
// which the engine cuts at shacl::kMaxShapeNesting, far beyond).
constexpr int kMaxNesting = 8;
constexpr uint32_t kUnknown = std::numeric_limits<uint32_t>::max();

bool constraints_on_terms_only(const ShapesProgram& program, const Shape& shape, int depth);

// A node shape whose conformance at a node is a function of the node's term: its value node is
// the node itself, and its constraints look at terms only. A property shape walks the graph.
bool node_shape_on_terms_only(const ShapesProgram& program, uint32_t shape, int depth) {
  if (depth > kMaxNesting) return false;
  const Shape& s = program.shapes[shape];
  return !s.is_property && constraints_on_terms_only(program, s, depth);
}

// Constraints that look at the value terms alone (shacl::looks_at_value_terms_only), or at each
// value's conformance to node shapes of such constraints.
bool constraints_on_terms_only(const ShapesProgram& program, const Shape& shape, int depth) {
  for (const shacl::Constraint& c : shape.constraints) {
    if (shacl::looks_at_value_terms_only(c.component)) continue;
    switch (c.component) {
      // Conformance of each value to other shapes, counted or combined.
      case Component::kNot:
      case Component::kAnd:
      case Component::kOr:
      case Component::kXone:
      case Component::kNode:
      case Component::kQualifiedMinCount:
      case Component::kQualifiedMaxCount:
        for (uint32_t inner : c.shapes) {
          if (!node_shape_on_terms_only(program, inner, depth + 1)) return false;
        }
        for (uint32_t sibling : c.siblings) {
          if (!node_shape_on_terms_only(program, sibling, depth + 1)) return false;
        }
        break;
      default:
        return false;
    }
  }
  return true;
}

}  // namespace

std::optional<PredicatePath> column_path(const ShapesProgram& program, uint32_t property_shape) {
  const Shape& p = program.shapes[property_shape];
  if (!p.is_property || p.deactivated) return std::nullopt;
  PredicatePath path;
  if (p.path.kind == shacl::Path::Kind::kPredicate) {
    path.push_back(p.path.predicate);
  } else if (p.path.kind == shacl::Path::Kind::kSequence) {
    for (const shacl::Path& step : p.path.steps) {
      if (step.kind != shacl::Path::Kind::kPredicate) return std::nullopt;
      path.push_back(step.predicate);
    }
  } else {
    return std::nullopt;
  }
  if (path.empty() || path.size() > CatalogueIndex::kMaxColumnSteps) return std::nullopt;
  if (!constraints_on_terms_only(program, p, 0)) return std::nullopt;
  return path;
}

void prepare_columns(CatalogueIndex& index, const ConsumerManifest& manifest) {
  const ShapesProgram& program = *manifest.program;
  for (const Requirement& requirement : manifest.requirements) {
    for (const shacl::Constraint& c : program.shapes[requirement.shape].constraints) {
      if (c.component != Component::kProperty) continue;
      for (uint32_t property : c.shapes) {
        if (auto path = column_path(program, property)) index.add_column(*path);
      }
    }
  }
}

ShapeChecks::ShapeChecks(const ShapesProgram& program, const CatalogueIndex& index)
    : program_(program), index_(index), cache_(program) {}

bool ShapeChecks::requirement(uint32_t shape, const OfferingRef& ref,
                              std::vector<ValidationResult>* results) {
  const ProviderSegment& provider = *ref.provider;
  auto bound = [&]() -> shacl::Validator& { return validator(provider); };
  Plan& plan = plan_of(shape);
  if (!plan.columns) {
    return cache_.validate_node(shape, ref.node, ref.triples(), provider.graph, bound, results);
  }
  // As the engine checks a node shape of sh:property constraints: every member, in order, each
  // appending its results (a rejected candidate is counted under each constraint it fails).
  bool ok = true;
  for (Member& member : plan.members) {
    if (member.column == nullptr) {
      ok &= cache_.validate_property(member.shape, ref.node, ref.triples(), provider.graph, bound,
                                     results);
      continue;
    }
    const Outcome& found = outcome(member, ref);
    if (found.conforms) continue;
    ok = false;
    if (results == nullptr) continue;
    for (ValidationResult r : found.results) {
      r.focus = ref.node;  // the property shape's own results have the focus it was asked for
      results->push_back(r);
    }
  }
  return ok;
}

ResultSpan copy_results(ResultSpan results, std::pmr::memory_resource* memory) {
  if (results.empty()) return results;
  static_assert(std::is_trivially_copyable_v<ValidationResult> &&
                std::is_trivially_destructible_v<ValidationResult>);
  auto* copy = static_cast<ValidationResult*>(
      memory->allocate(results.size() * sizeof(ValidationResult), alignof(ValidationResult)));
  std::copy(results.begin(), results.end(), copy);
  return {copy, results.count};
}

bool ShapeChecks::requirement(uint32_t shape, const OfferingRef& ref,
                              std::pmr::memory_resource* memory, ResultSpan* results) {
  scratch_.clear();
  bool ok = requirement(shape, ref, &scratch_);
  if (scratch_.empty()) return ok;
  ResultSpan own{scratch_.data(), static_cast<uint32_t>(scratch_.size())};
  *results = memory == nullptr ? own : copy_results(own, memory);
  return ok;
}

void ShapeChecks::prefetch(uint32_t shape, const OfferingRef& ref) {
  for (const Member& member : plan_of(shape).members) {
    if (member.column != nullptr) member.column->prefetch(ref.row);
  }
}

ShapeChecks::Plan& ShapeChecks::plan_of(uint32_t shape) {
  // A requirement's candidates are checked one after the other against the same shape.
  if (last_plan_ != nullptr && last_shape_ == shape) return *last_plan_;
  auto known = plans_.find(shape);
  if (known != plans_.end()) {
    last_shape_ = shape;
    last_plan_ = &known->second;  // references into an unordered_map survive rehashing
    return known->second;
  }
  Plan plan;
  const Shape& node_shape = program_.shapes[shape];
  bool members_only = !node_shape.deactivated && !node_shape.is_property;
  for (const shacl::Constraint& c : node_shape.constraints) {
    members_only = members_only && c.component == Component::kProperty && c.shapes.size() == 1;
  }
  if (members_only) {
    for (const shacl::Constraint& c : node_shape.constraints) {
      Member member;
      member.shape = c.shapes.front();
      if (auto path = column_path(program_, member.shape)) member.column = index_.column(*path);
      plan.columns = plan.columns || member.column != nullptr;
      plan.members.push_back(std::move(member));
    }
  }
  if (!plan.columns) plan.members.clear();
  last_shape_ = shape;
  last_plan_ = &plans_.emplace(shape, std::move(plan)).first->second;
  return *last_plan_;
}

const ShapeChecks::Outcome& ShapeChecks::outcome(Member& member, const OfferingRef& ref) {
  TermId cell = member.column->cell(ref.row);
  Member::Recent& recent = member.recent[(cell * 0x9E3779B1U) >> 26];
  if (recent.value == cell && cell != PathColumn::kSeveral) return outcomes_[recent.index];
  // References into the maps stay valid as they grow.
  uint32_t& index =
      cell != PathColumn::kSeveral
          ? member.by_value.try_emplace(cell, kUnknown).first->second
          : member.by_values.try_emplace(member.column->several(ref.row), kUnknown).first->second;
  if (index == kUnknown) {
    // The first candidate with these values: the engine decides, on its own graph.
    Outcome computed;
    computed.conforms =
        validator(*ref.provider).validate_node(member.shape, ref.node, &computed.results, 1);
    index = static_cast<uint32_t>(outcomes_.size());
    outcomes_.push_back(std::move(computed));
  }
  if (cell != PathColumn::kSeveral) recent = {cell, index};
  return outcomes_[index];
}

// One Validator for the program, moved from provider graph to provider graph (candidates come
// grouped by provider): building one per provider would cost more than the checks themselves.
shacl::Validator& ShapeChecks::validator(const ProviderSegment& provider) {
  if (!validator_) {
    validator_ = std::make_unique<shacl::Validator>(program_, provider.graph);
  } else if (&validator_->data() != &provider.graph) {
    validator_->rebind(provider.graph);
  }
  return *validator_;
}

}  // namespace mpli::resolver
