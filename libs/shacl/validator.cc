#include "libs/shacl/validator.h"

#include <algorithm>
#include <unordered_set>

#include "libs/rdf/literal.h"

namespace mpli::shacl {
namespace {

using rdf::kNoTerm;
using rdf::Triple;

// Recursive shapes are undefined in SHACL 1.0; beyond this depth a shape is taken to conform.
// compile_shapes() refuses chains this long that do not loop, so only recursion gets here.
constexpr int kMaxDepth = kMaxShapeNesting;

void sort_unique(std::vector<TermId>* v) {
  std::sort(v->begin(), v->end());
  v->erase(std::unique(v->begin(), v->end()), v->end());
}

uint32_t constraint_index(const Shape& shape, const Constraint& c) {
  return static_cast<uint32_t>(&c - shape.constraints.data());
}

bool contains_sorted(const std::vector<TermId>& v, TermId x) {
  return std::binary_search(v.begin(), v.end(), x);
}

}  // namespace

Validator::Validator(const ShapesProgram& program, const rdf::Graph& data)
    : program_(program), data_(&data), terms_(data.terms()), sh_(*program.vocab) {
  data_->index();
  dense_memo_ = terms_.size() <= 4 * data_->size() + 4096;
  scratch_.resize(kMaxDepth + 2);
  regex_cache_.resize(program.regexes.size());
  value_cache_.resize(program.constraint_count);
  conform_cache_.resize(program.shapes.size());
}

void Validator::rebind(const rdf::Graph& data) {
  data_ = &data;
  data_->index();
  dense_memo_ = terms_.size() <= 4 * data_->size() + 4096;
  // Class membership and conformance depend on the graph; patterns and datatypes only on the
  // terms, but the value caches also hold class outcomes, so they go too.
  // clear() on an unordered_map costs its bucket count even when empty.
  if (!superclass_cache_.empty()) superclass_cache_.clear();
  if (!sparse_conform_cache_.empty()) sparse_conform_cache_.clear();
  for (auto& cache : conform_cache_) cache.clear();
  for (auto& cache : value_cache_) cache.clear();
}

bool Validator::conforms_sparse(uint32_t shape_index, TermId node, int depth) {
  uint64_t key = (uint64_t{shape_index} << 32) | node;
  auto known = sparse_conform_cache_.find(key);
  if (known != sparse_conform_cache_.end()) return known->second;
  bool ok = validate_shape(shape_index, node, nullptr, depth);
  sparse_conform_cache_.emplace(key, ok);
  return ok;
}

std::vector<TermId>& Validator::scratch(int depth) { return scratch_[static_cast<size_t>(depth)]; }

const std::vector<TermId>& Validator::superclasses(TermId klass) {
  auto it = superclass_cache_.find(klass);
  if (it != superclass_cache_.end()) return it->second;
  TermId sub_class_of = terms_.well_known().rdfs_sub_class_of;
  std::vector<TermId> closure{klass};
  for (size_t i = 0; i < closure.size(); ++i) {
    for (const Triple& t : data_->with_subject_predicate(closure[i], sub_class_of)) {
      if (std::find(closure.begin(), closure.end(), t.o) == closure.end()) closure.push_back(t.o);
    }
  }
  sort_unique(&closure);
  return superclass_cache_.emplace(klass, std::move(closure)).first->second;
}

bool Validator::is_instance_of(TermId node, TermId klass) {
  for (const Triple& t : data_->with_subject_predicate(node, terms_.well_known().rdf_type)) {
    if (t.o == klass || contains_sorted(superclasses(t.o), klass)) return true;
  }
  return false;
}

void Validator::focus_nodes(const Shape& shape, std::vector<TermId>* out) {
  out->clear();
  out->insert(out->end(), shape.target_nodes.begin(), shape.target_nodes.end());
  const auto& wk = terms_.well_known();
  for (TermId klass : shape.target_classes) {
    // Instances of klass and of every subclass (transitively).
    std::vector<TermId> classes{klass};
    for (size_t i = 0; i < classes.size(); ++i) {
      for (const Triple& t : data_->with_predicate_object(wk.rdfs_sub_class_of, classes[i])) {
        if (std::find(classes.begin(), classes.end(), t.s) == classes.end()) classes.push_back(t.s);
      }
    }
    for (TermId c : classes) {
      for (const Triple& t : data_->with_predicate_object(wk.rdf_type, c)) out->push_back(t.s);
    }
  }
  for (TermId p : shape.target_subjects_of) {
    for (const Triple& t : data_->with_predicate(p)) out->push_back(t.s);
  }
  for (TermId p : shape.target_objects_of) {
    for (const Triple& t : data_->with_predicate(p)) out->push_back(t.o);
  }
  sort_unique(out);
}

void Validator::path_step(const Path& path, TermId node, std::vector<TermId>* out) {
  switch (path.kind) {
    case Path::Kind::kPredicate:
      for (const Triple& t : data_->with_subject_predicate(node, path.predicate))
        out->push_back(t.o);
      return;
    case Path::Kind::kInverse:
      inverse_step(path.steps.front(), node, out);
      return;
    case Path::Kind::kSequence: {
      BufferLease a(*this);
      BufferLease b(*this);
      std::vector<TermId>* frontier = &a.get();
      std::vector<TermId>* next = &b.get();
      frontier->push_back(node);
      for (const Path& step : path.steps) {
        next->clear();
        for (TermId n : *frontier) path_step(step, n, next);
        if (step.kind != Path::Kind::kPredicate || frontier->size() > 1) sort_unique(next);
        std::swap(frontier, next);
      }
      out->insert(out->end(), frontier->begin(), frontier->end());
      return;
    }
    case Path::Kind::kAlternative:
      for (const Path& step : path.steps) path_step(step, node, out);
      return;
    case Path::Kind::kZeroOrMore:
    case Path::Kind::kOneOrMore: {
      BufferLease seen_lease(*this);
      BufferLease queue_lease(*this);
      BufferLease step_lease(*this);
      std::vector<TermId>& seen = seen_lease.get();
      std::vector<TermId>& queue = queue_lease.get();
      std::vector<TermId>& step_out = step_lease.get();
      if (path.kind == Path::Kind::kZeroOrMore) seen.push_back(node);
      path_step(path.steps.front(), node, &step_out);
      // Small closures use a linear scan; large ones switch to a hash set to stay O(n).
      constexpr size_t kLinearLimit = 64;
      std::unordered_set<TermId> seen_set;
      auto is_new = [&](TermId n) {
        if (seen_set.empty() && seen.size() <= kLinearLimit) {
          return std::find(seen.begin(), seen.end(), n) == seen.end();
        }
        if (seen_set.empty()) seen_set.insert(seen.begin(), seen.end());
        return seen_set.insert(n).second;
      };
      for (size_t i = 0;; ++i) {
        for (TermId n : step_out) {
          if (is_new(n)) {
            seen.push_back(n);
            queue.push_back(n);
          }
        }
        if (i >= queue.size()) break;
        step_out.clear();
        path_step(path.steps.front(), queue[i], &step_out);
      }
      out->insert(out->end(), seen.begin(), seen.end());
      return;
    }
    case Path::Kind::kZeroOrOne:
      out->push_back(node);
      path_step(path.steps.front(), node, out);
      return;
  }
}

// Nodes x such that `node` is reachable from x along `path`.
void Validator::inverse_step(const Path& path, TermId node, std::vector<TermId>* out) {
  switch (path.kind) {
    case Path::Kind::kPredicate:
      for (const Triple& t : data_->with_predicate_object(path.predicate, node))
        out->push_back(t.s);
      return;
    case Path::Kind::kInverse:
      path_step(path.steps.front(), node, out);
      return;
    case Path::Kind::kSequence: {
      BufferLease a(*this);
      BufferLease b(*this);
      std::vector<TermId>* frontier = &a.get();
      std::vector<TermId>* next = &b.get();
      frontier->push_back(node);
      for (auto it = path.steps.rbegin(); it != path.steps.rend(); ++it) {
        next->clear();
        for (TermId n : *frontier) inverse_step(*it, n, next);
        sort_unique(next);
        std::swap(frontier, next);
      }
      out->insert(out->end(), frontier->begin(), frontier->end());
      return;
    }
    case Path::Kind::kAlternative:
      for (const Path& step : path.steps) inverse_step(step, node, out);
      return;
    case Path::Kind::kZeroOrMore:
    case Path::Kind::kOneOrMore: {
      Path forward;
      forward.kind = path.kind;
      forward.steps.emplace_back();
      forward.steps.front().kind = Path::Kind::kInverse;
      forward.steps.front().steps.push_back(path.steps.front());
      path_step(forward, node, out);
      return;
    }
    case Path::Kind::kZeroOrOne:
      out->push_back(node);
      inverse_step(path.steps.front(), node, out);
      return;
  }
}

void Validator::evaluate_path(const Path& path, TermId node, std::vector<TermId>* out) {
  out->clear();
  path_step(path, node, out);
  if (path.kind != Path::Kind::kPredicate) sort_unique(out);
}

bool Validator::matches_pattern(const Constraint& c, TermId value) {
  // One byte per term and pattern (0 unknown, 1 match, 2 no match): values that repeat
  // (codes, enumerations, shared literals) are matched once; the regex engine is the slow part.
  if (!dense_memo_) {
    std::string_view text = terms_.value(value);
    return std::regex_search(text.begin(), text.end(), program_.regexes[c.regex]);
  }
  std::vector<uint8_t>& cache = regex_cache_[c.regex];
  if (cache.size() <= value) cache.resize(std::max<size_t>(terms_.size(), value + 1), 0);
  if (cache[value] != 0) return cache[value] == 1;
  std::string_view text = terms_.value(value);
  bool match = std::regex_search(text.begin(), text.end(), program_.regexes[c.regex]);
  cache[value] = match ? 1 : 2;
  return match;
}

ValidationReport Validator::validate() {
  ValidationReport report;
  std::vector<TermId> focus;
  for (uint32_t i = 0; i < program_.shapes.size(); ++i) {
    const Shape& shape = program_.shapes[i];
    if (shape.deactivated || !shape.has_targets()) continue;
    focus_nodes(shape, &focus);
    for (TermId f : focus) validate_shape(i, f, &report.results, 0);
  }
  report.conforms = report.results.empty();
  return report;
}

Result<ValidationReport> validate(const ShapesProgram& program, const rdf::Graph& data) {
  if (program.terms.get() != &data.terms()) {
    return invalid_argument("the data graph and the shapes must share one TermTable");
  }
  Validator validator(program, data);
  return validator.validate();
}

bool Validator::validate_node(uint32_t shape, TermId focus, std::vector<ValidationResult>* results,
                              int depth) {
  return validate_shape(shape, focus, results, depth);
}

bool Validator::validate_shape(uint32_t shape_index, TermId focus,
                               std::vector<ValidationResult>* out, int depth) {
  if (depth > kMaxDepth) return true;
  const Shape& shape = program_.shapes[shape_index];
  if (shape.deactivated) return true;
  std::vector<TermId>& values = scratch(depth);
  values.clear();
  if (shape.is_property) {
    path_step(shape.path, focus, &values);
    if (shape.path.kind != Path::Kind::kPredicate) sort_unique(&values);
  } else {
    values.push_back(focus);
  }
  bool ok = true;
  for (const Constraint& c : shape.constraints) {
    if (!check(shape, shape_index, c, focus, values, out, depth)) {
      ok = false;
      if (out == nullptr) return false;
    }
  }
  return ok;
}

bool Validator::check(const Shape& shape, uint32_t shape_index, const Constraint& c, TermId focus,
                      const std::vector<TermId>& values, std::vector<ValidationResult>* out,
                      int depth) {
  bool ok = true;
  // Records one result; in conformance-only mode (out == nullptr) the caller stops at once.
  auto fail = [&](TermId value, TermId predicate = kNoTerm) {
    ok = false;
    if (out != nullptr) {
      out->push_back(ValidationResult{focus, value, shape_index, c.component, predicate,
                                      constraint_index(shape, c)});
    }
    return out == nullptr;  // true: stop scanning
  };
  // The costly components whose outcome depends only on the value node (a subclass walk, a
  // lexical parse) are memoised per (constraint, term): shared values are checked once.
  // Patterns have their own cache; logical operators reuse the per-shape conformance cache.
  bool memo = dense_memo_ &&
              (c.component == Component::kClass || c.component == Component::kDatatype ||
               c.component == Component::kMinExclusive || c.component == Component::kMinInclusive ||
               c.component == Component::kMaxExclusive || c.component == Component::kMaxInclusive);
  std::vector<uint8_t>* cache = nullptr;
  if (memo) {
    cache = &value_cache_[c.id];
    if (cache->size() < terms_.size()) cache->resize(terms_.size(), 0);
  }
  auto each_value = [&](auto&& pred) {
    for (TermId v : values) {
      bool good;
      if (cache != nullptr && v < cache->size()) {
        uint8_t known = (*cache)[v];
        if (known == 0) {
          known = pred(v) ? 1 : 2;  // pred may recurse; index again rather than hold a reference
          (*cache)[v] = known;
        }
        good = known == 1;
      } else {
        good = pred(v);
      }
      if (!good && fail(v)) return;
    }
  };
  switch (c.component) {
    case Component::kClass:
      each_value([&](TermId v) { return !terms_.is_literal(v) && is_instance_of(v, c.term); });
      break;
    case Component::kDatatype:
      each_value([&](TermId v) {
        return terms_.is_literal(v) && terms_.datatype(v) == c.term &&
               rdf::is_well_formed(terms_, v);
      });
      break;
    case Component::kNodeKind:
      each_value([&](TermId v) {
        uint64_t bit = terms_.is_iri(v) ? kKindIri : terms_.is_blank(v) ? kKindBlank : kKindLiteral;
        return (c.number & bit) != 0;
      });
      break;
    case Component::kMinCount:
      if (values.size() < c.number) fail(kNoTerm);
      break;
    case Component::kMaxCount:
      if (values.size() > c.number) fail(kNoTerm);
      break;
    case Component::kMinExclusive:
    case Component::kMinInclusive:
    case Component::kMaxExclusive:
    case Component::kMaxInclusive:
      each_value([&](TermId v) {
        std::optional<int> cmp = rdf::compare_values(terms_, v, c.term);
        if (!cmp) return false;
        switch (c.component) {
          case Component::kMinExclusive:
            return *cmp > 0;
          case Component::kMinInclusive:
            return *cmp >= 0;
          case Component::kMaxExclusive:
            return *cmp < 0;
          default:
            return *cmp <= 0;
        }
      });
      break;
    case Component::kMinLength:
    case Component::kMaxLength:
      each_value([&](TermId v) {
        if (terms_.is_blank(v)) return false;
        size_t n = rdf::utf8_length(terms_.value(v));
        return c.component == Component::kMinLength ? n >= c.number : n <= c.number;
      });
      break;
    case Component::kPattern:
      each_value([&](TermId v) { return !terms_.is_blank(v) && matches_pattern(c, v); });
      break;
    case Component::kLanguageIn:
      each_value([&](TermId v) {
        if (!terms_.is_literal(v) || terms_.lang(v).empty()) return false;
        for (const std::string& range : c.strings) {
          if (rdf::lang_matches(terms_.lang(v), range)) return true;
        }
        return false;
      });
      break;
    case Component::kUniqueLang: {
      std::vector<std::string_view>& langs = lang_scratch_;
      langs.clear();
      for (TermId v : values) {
        if (terms_.is_literal(v) && !terms_.lang(v).empty()) langs.push_back(terms_.lang(v));
      }
      std::sort(langs.begin(), langs.end());
      for (size_t i = 0; i + 1 < langs.size(); ++i) {
        if (langs[i] == langs[i + 1] && (i == 0 || langs[i - 1] != langs[i])) {
          if (fail(kNoTerm)) break;
        }
      }
      break;
    }
    case Component::kEquals: {
      rdf::TripleRange other = data_->with_subject_predicate(focus, c.term);
      for (TermId v : values) {
        bool found =
            std::any_of(other.begin(), other.end(), [&](const Triple& t) { return t.o == v; });
        if (!found && fail(v)) return false;
      }
      for (const Triple& t : other) {
        if (std::find(values.begin(), values.end(), t.o) == values.end() && fail(t.o)) return false;
      }
      break;
    }
    case Component::kDisjoint:
      each_value([&](TermId v) { return !data_->contains(focus, c.term, v); });
      break;
    case Component::kLessThan:
    case Component::kLessThanOrEquals: {
      rdf::TripleRange other = data_->with_subject_predicate(focus, c.term);
      for (TermId v : values) {
        for (const Triple& t : other) {
          std::optional<int> cmp = rdf::compare_values(terms_, v, t.o);
          bool good = cmp && (c.component == Component::kLessThan ? *cmp < 0 : *cmp <= 0);
          if (!good && fail(v)) return false;
        }
      }
      break;
    }
    case Component::kNot:
      each_value([&](TermId v) { return !conforms(c.shapes.front(), v, depth + 1); });
      break;
    case Component::kAnd:
      each_value([&](TermId v) {
        for (uint32_t s : c.shapes) {
          if (!conforms(s, v, depth + 1)) return false;
        }
        return true;
      });
      break;
    case Component::kOr:
      each_value([&](TermId v) {
        for (uint32_t s : c.shapes) {
          if (conforms(s, v, depth + 1)) return true;
        }
        return false;
      });
      break;
    case Component::kXone:
      each_value([&](TermId v) {
        int n = 0;
        for (uint32_t s : c.shapes) n += conforms(s, v, depth + 1) ? 1 : 0;
        return n == 1;
      });
      break;
    case Component::kNode:
      each_value([&](TermId v) { return conforms(c.shapes.front(), v, depth + 1); });
      break;
    case Component::kProperty:
      // The property shape reports its own results, with the value node as focus.
      for (TermId v : values) {
        bool good = out == nullptr ? conforms(c.shapes.front(), v, depth + 1)
                                   : validate_shape(c.shapes.front(), v, out, depth + 1);
        if (!good) {
          ok = false;
          if (out == nullptr) return false;
        }
      }
      break;
    case Component::kQualifiedMinCount:
    case Component::kQualifiedMaxCount: {
      uint64_t n = 0;
      for (TermId v : values) {
        if (!conforms(c.shapes.front(), v, depth + 1)) continue;
        bool in_sibling = false;
        for (uint32_t s : c.siblings) {
          if (conforms(s, v, depth + 1)) {
            in_sibling = true;
            break;
          }
        }
        if (!in_sibling) ++n;
      }
      bool good = c.component == Component::kQualifiedMinCount ? n >= c.number : n <= c.number;
      if (!good) fail(kNoTerm);
      break;
    }
    case Component::kClosed:
      for (TermId v : values) {
        for (const Triple& t : data_->with_subject(v)) {
          if (!contains_sorted(c.terms, t.p)) {
            ok = false;
            if (out == nullptr) return false;
            out->push_back(ValidationResult{focus, t.o, shape_index, c.component, t.p,
                                            constraint_index(shape, c)});
          }
        }
      }
      break;
    case Component::kHasValue:
      if (std::find(values.begin(), values.end(), c.term) == values.end()) fail(kNoTerm);
      break;
    case Component::kIn:
      each_value([&](TermId v) { return contains_sorted(c.terms, v); });
      break;
  }
  return ok;
}

}  // namespace mpli::shacl
