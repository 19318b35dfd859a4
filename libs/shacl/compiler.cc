#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <string>
#include <unordered_map>

#include "libs/rdf/literal.h"
#include "libs/shacl/shapes.h"

namespace mpli::shacl {
namespace {

using rdf::Graph;
using rdf::kNoTerm;
using rdf::TermTable;
using rdf::Triple;

// Rewrites an XPath regular expression with sh:flags into ECMAScript for std::regex:
// q quotes the whole pattern, x drops whitespace outside character classes, s lets '.' match
// newlines, m makes ^ and $ match at line ends, i ignores case.
std::string xpath_to_ecmascript(std::string_view pattern, std::string_view flags,
                                std::regex::flag_type* options) {
  bool quote = flags.find('q') != std::string_view::npos;
  bool extended = flags.find('x') != std::string_view::npos;
  bool dot_all = flags.find('s') != std::string_view::npos;
  if (flags.find('i') != std::string_view::npos) *options |= std::regex::icase;
  if (flags.find('m') != std::string_view::npos) *options |= std::regex::multiline;
  std::string out;
  if (quote) {
    for (char c : pattern) {
      if (std::string_view("\\^$.|?*+()[]{}").find(c) != std::string_view::npos) out += '\\';
      out += c;
    }
    return out;
  }
  bool in_class = false;
  for (size_t i = 0; i < pattern.size(); ++i) {
    char c = pattern[i];
    if (c == '\\' && i + 1 < pattern.size()) {
      out += c;
      out += pattern[++i];
      continue;
    }
    if (in_class) {
      if (c == ']') in_class = false;
      out += c;
      continue;
    }
    if (c == '[') in_class = true;
    if (extended && (c == ' ' || c == '\t' || c == '\n' || c == '\r')) continue;
    if (c == '.' && dot_all) {
      out += "[\\s\\S]";
      continue;
    }
    out += c;
  }
  return out;
}

// What makes an ECMAScript expression too big for std::regex to compile and run within a
// thread's stack (see kMaxPattern* in shapes.h), or "" when it is fine. Counted repetitions are
// expanded by std::regex into copies: `((a?){100}){100}` holds 10,000 copies of `a?`.
std::string pattern_size_problem(std::string_view pattern) {
  if (pattern.size() > kMaxPatternLength) {
    return "is longer than " + std::to_string(kMaxPatternLength) + " characters";
  }
  struct Group {
    uint64_t elements = 0;  // so far, repetitions expanded
    uint64_t last = 0;      // of the last item, which a following {n,m} repeats
  };
  std::vector<Group> groups(1);
  auto add = [&](uint64_t elements) {
    groups.back().elements = std::min(groups.back().elements + elements, kMaxPatternElements + 1);
    groups.back().last = elements;
  };
  for (size_t i = 0; i < pattern.size(); ++i) {
    char c = pattern[i];
    if (c == '\\') {
      ++i;
      add(1);
    } else if (c == '[') {  // a class is one element; ']' first in it is a member
      size_t j = i + 1;
      if (j < pattern.size() && pattern[j] == '^') ++j;
      if (j < pattern.size() && pattern[j] == ']') ++j;
      while (j < pattern.size() && pattern[j] != ']') j += pattern[j] == '\\' ? 2 : 1;
      i = j;
      add(1);
    } else if (c == '(') {
      if (static_cast<int>(groups.size()) > kMaxPatternGroups) {
        return "nests groups more than " + std::to_string(kMaxPatternGroups) + " deep";
      }
      groups.emplace_back();
    } else if (c == ')' && groups.size() > 1) {
      uint64_t inner = groups.back().elements + 1;
      groups.pop_back();
      add(inner);
    } else if (c == '{') {
      // {n}, {n,} or {n,m}: the last item is there max(n, m) times.
      size_t j = i + 1;
      uint64_t count = 0;
      uint64_t number = 0;
      bool digits = false;
      while (j < pattern.size() &&
             (std::isdigit(static_cast<unsigned char>(pattern[j])) || pattern[j] == ',')) {
        if (pattern[j] == ',') {
          number = 0;
        } else {
          number = std::min<uint64_t>(number * 10 + static_cast<uint64_t>(pattern[j] - '0'),
                                      kMaxPatternElements + 1);
          count = std::max(count, number);
          digits = true;
        }
        ++j;
      }
      if (!digits || j >= pattern.size() || pattern[j] != '}') {
        add(1);  // not a repetition: a literal '{'
        continue;
      }
      i = j;
      Group& g = groups.back();
      uint64_t extra = g.last * (count > 0 ? count - 1 : 0);
      g.elements = std::min(g.elements + extra, kMaxPatternElements + 1);
      g.last = std::min(g.last * std::max<uint64_t>(count, 1), kMaxPatternElements + 1);
    } else if (c != '*' && c != '+' && c != '?' && c != '|' && c != '^' && c != '$') {
      add(1);
    }
    if (groups.back().elements > kMaxPatternElements) break;
  }
  uint64_t total = 0;
  for (const Group& g : groups) total += g.elements;
  if (total > kMaxPatternElements) {
    return "repeats to more than " + std::to_string(kMaxPatternElements) +
           " elements (counted repetitions {n,m} are expanded)";
  }
  return "";
}

class Compiler {
 public:
  Compiler(const Graph& graph, ShapesProgram& program)
      : graph_(graph), terms_(*program.terms), sh_(*program.vocab), program_(program) {}

  Status run() {
    const auto& wk = terms_.well_known();
    std::vector<TermId> roots;
    for (TermId type : {sh_.node_shape, sh_.property_shape}) {
      for (const Triple& t : graph_.with_predicate_object(wk.rdf_type, type)) roots.push_back(t.s);
    }
    for (TermId p :
         {sh_.target_node, sh_.target_class, sh_.target_subjects_of, sh_.target_objects_of}) {
      for (const Triple& t : graph_.with_predicate(p)) roots.push_back(t.s);
    }
    for (TermId root : roots) {
      uint32_t index = 0;
      MPLI_RETURN_IF_ERROR(shape(root, &index));
    }
    // Compiling a shape registers the shapes it refers to, which grows the list being walked.
    for (size_t i = 0; i < pending_.size(); ++i) {
      TermId node = pending_[i];
      Shape s;
      s.node = node;
      s.severity = sh_.violation;
      path_steps_ = 0;
      MPLI_RETURN_IF_ERROR(fill(node, s));
      program_.shapes[index_.at(node)] = std::move(s);
    }
    MPLI_RETURN_IF_ERROR(check_nesting());
    link_qualified_siblings();
    return Status::ok();
  }

 private:
  std::string name(TermId id) const { return terms_.to_ntriples(id); }

  Status bad(TermId shape_node, std::string_view what) const {
    return invalid_argument("ill-formed shape " + name(shape_node) + ": " + std::string(what));
  }

  Status list(TermId shape_node, TermId head, std::string_view param, std::vector<TermId>* out) {
    if (!graph_.list(head, out)) {
      return bad(shape_node, std::string(param) + " must be a well-formed RDF list");
    }
    return Status::ok();
  }

  Status count(TermId shape_node, TermId value, std::string_view param, uint64_t* out) const {
    if (!terms_.is_literal(value) || !rdf::is_well_formed(terms_, value)) {
      return bad(shape_node, std::string(param) + " must be a non-negative integer literal");
    }
    std::string_view lex = terms_.value(value);
    if (lex.empty() || lex[0] == '-' ||
        lex.find_first_not_of("+0123456789") != std::string_view::npos) {
      return bad(shape_node, std::string(param) + " must be a non-negative integer literal");
    }
    *out = std::strtoull(std::string(lex).c_str(), nullptr, 10);
    return Status::ok();
  }

  Status path(TermId shape_node, TermId node, Path* out, int depth) {
    if (depth > kMaxPathDepth) {
      return bad(shape_node, "sh:path nests more than " + std::to_string(kMaxPathDepth) +
                                 " levels deep (a cycle?)");
    }
    if (++path_steps_ > kMaxPathSteps) {
      return bad(shape_node, "sh:path has more than " + std::to_string(kMaxPathSteps) + " steps");
    }
    const auto& wk = terms_.well_known();
    if (terms_.is_iri(node)) {
      if (node == wk.rdf_nil) return bad(shape_node, "sh:path must not be rdf:nil");
      out->kind = Path::Kind::kPredicate;
      out->predicate = node;
      return Status::ok();
    }
    if (!terms_.is_blank(node)) return bad(shape_node, "sh:path must be an IRI or blank node");
    // A list wins over other path properties on the same node (the W3C path-strange tests).
    if (graph_.object(node, wk.rdf_first) != kNoTerm) {
      std::vector<TermId> members;
      MPLI_RETURN_IF_ERROR(list(shape_node, node, "a sequence path", &members));
      if (members.empty()) return bad(shape_node, "a sequence path needs at least one member");
      out->kind = Path::Kind::kSequence;
      for (TermId m : members) {
        out->steps.emplace_back();
        MPLI_RETURN_IF_ERROR(path(shape_node, m, &out->steps.back(), depth + 1));
      }
      if (out->steps.size() == 1) {
        Path single = std::move(out->steps.front());
        *out = std::move(single);
      }
      return Status::ok();
    }
    struct Unary {
      TermId predicate;
      Path::Kind kind;
    };
    const Unary unary[] = {{sh_.inverse_path, Path::Kind::kInverse},
                           {sh_.zero_or_more_path, Path::Kind::kZeroOrMore},
                           {sh_.one_or_more_path, Path::Kind::kOneOrMore},
                           {sh_.zero_or_one_path, Path::Kind::kZeroOrOne}};
    for (const Unary& u : unary) {
      TermId sub = graph_.object(node, u.predicate);
      if (sub == kNoTerm) continue;
      out->kind = u.kind;
      out->steps.emplace_back();
      return path(shape_node, sub, &out->steps.back(), depth + 1);
    }
    TermId alt = graph_.object(node, sh_.alternative_path);
    if (alt != kNoTerm) {
      std::vector<TermId> members;
      MPLI_RETURN_IF_ERROR(list(shape_node, alt, "sh:alternativePath", &members));
      if (members.empty()) return bad(shape_node, "sh:alternativePath needs members");
      out->kind = Path::Kind::kAlternative;
      for (TermId m : members) {
        out->steps.emplace_back();
        MPLI_RETURN_IF_ERROR(path(shape_node, m, &out->steps.back(), depth + 1));
      }
      return Status::ok();
    }
    return bad(shape_node, "sh:path blank node is not a SHACL property path");
  }

  Constraint& add(Shape& s, Component c) {
    s.constraints.emplace_back();
    Constraint& k = s.constraints.back();
    k.component = c;
    k.id = program_.constraint_count++;
    return k;
  }

  Status shape_list(TermId shape_node, TermId head, std::string_view param,
                    std::vector<uint32_t>* out) {
    std::vector<TermId> members;
    MPLI_RETURN_IF_ERROR(list(shape_node, head, param, &members));
    for (TermId m : members) {
      uint32_t index = 0;
      MPLI_RETURN_IF_ERROR(shape(m, &index));
      out->push_back(index);
    }
    return Status::ok();
  }

  // The index of the shape at `node`; a shape seen for the first time gets one and is queued
  // for run() to compile, so a chain of shapes referring to shapes costs no stack here.
  Status shape(TermId node, uint32_t* index) {
    auto it = index_.find(node);
    if (it != index_.end()) {
      *index = it->second;
      return Status::ok();
    }
    if (terms_.is_literal(node)) return bad(node, "a literal cannot be a shape");
    uint32_t me = static_cast<uint32_t>(program_.shapes.size());
    index_.emplace(node, me);
    *index = me;
    program_.shapes.emplace_back();
    pending_.push_back(node);
    return Status::ok();
  }

  // The validator recurses from a shape into the shapes its constraints name. A chain longer
  // than kMaxShapeNesting that never comes back to a shape on it would be cut short there and
  // silently taken to conform, so it is refused here. Chains through a loop (recursive shapes)
  // are the validator's to stop. Longest chains by an iterative depth-first walk that ignores
  // the edges going back into the walk.
  Status check_nesting() const {
    const size_t n = program_.shapes.size();
    constexpr int kUnseen = -1;
    constexpr int kOnWalk = -2;
    std::vector<int> height(n, kUnseen);  // edges on the longest chain starting at the shape
    auto operands = [&](uint32_t shape, std::vector<uint32_t>* out) {
      out->clear();
      for (const Constraint& c : program_.shapes[shape].constraints) {
        out->insert(out->end(), c.shapes.begin(), c.shapes.end());
        out->insert(out->end(), c.siblings.begin(), c.siblings.end());
      }
    };
    struct Frame {
      uint32_t shape;
      std::vector<uint32_t> operands;
      size_t next = 0;
    };
    std::vector<Frame> walk;
    for (uint32_t root = 0; root < n; ++root) {
      if (height[root] != kUnseen) continue;
      height[root] = kOnWalk;
      walk.push_back({root, {}, 0});
      operands(root, &walk.back().operands);
      while (!walk.empty()) {
        Frame& top = walk.back();
        if (top.next < top.operands.size()) {
          uint32_t next = top.operands[top.next++];
          if (height[next] != kUnseen) continue;
          height[next] = kOnWalk;
          walk.push_back({next, {}, 0});
          operands(next, &walk.back().operands);
          continue;
        }
        int longest = 0;
        for (uint32_t operand : top.operands) {
          if (height[operand] >= 0) longest = std::max(longest, height[operand] + 1);
        }
        height[top.shape] = longest;
        if (longest > kMaxShapeNesting) {
          return bad(program_.shapes[top.shape].node,
                     "shapes nest more than " + std::to_string(kMaxShapeNesting) +
                         " levels deep through sh:node, sh:property, sh:and, sh:or, sh:xone, "
                         "sh:not or sh:qualifiedValueShape");
        }
        walk.pop_back();
      }
    }
    return Status::ok();
  }

  Status fill(TermId node, Shape& s) {
    const auto& wk = terms_.well_known();
    TermId path_node = graph_.object(node, sh_.path);
    if (path_node != kNoTerm) {
      s.is_property = true;
      MPLI_RETURN_IF_ERROR(path(node, path_node, &s.path, 0));
    }
    bool is_shape_type = graph_.contains(node, wk.rdf_type, sh_.node_shape) ||
                         graph_.contains(node, wk.rdf_type, sh_.property_shape);
    if (is_shape_type && graph_.contains(node, wk.rdf_type, wk.rdfs_class)) {
      s.target_classes.push_back(node);  // implicit class target
    }
    TermId flags = kNoTerm;
    for (const Triple& t : graph_.with_subject_predicate(node, sh_.flags)) flags = t.o;
    bool closed = false;
    std::vector<TermId> ignored;
    TermId q_shape = kNoTerm;
    bool q_disjoint = false;
    std::vector<TermId> q_min;
    std::vector<TermId> q_max;

    // Iterating the shapes graph while compiling nested shapes is safe: compilation only reads
    // it, so the range stays valid.
    for (const Triple& t : graph_.with_subject(node)) {
      TermId p = t.p;
      TermId o = t.o;
      if (p == sh_.target_node) {
        s.target_nodes.push_back(o);
      } else if (p == sh_.target_class) {
        s.target_classes.push_back(o);
      } else if (p == sh_.target_subjects_of) {
        s.target_subjects_of.push_back(o);
      } else if (p == sh_.target_objects_of) {
        s.target_objects_of.push_back(o);
      } else if (p == sh_.deactivated) {
        s.deactivated = (o == wk.xsd_true);
      } else if (p == sh_.severity) {
        s.severity = o;
      } else if (p == sh_.message) {
        s.messages.push_back(o);
      } else if (p == sh_.klass) {
        add(s, Component::kClass).term = o;
      } else if (p == sh_.datatype) {
        if (!terms_.is_iri(o)) return bad(node, "sh:datatype must be an IRI");
        add(s, Component::kDatatype).term = o;
      } else if (p == sh_.node_kind) {
        uint64_t bits = 0;
        if (o == sh_.iri)
          bits = kKindIri;
        else if (o == sh_.blank_node)
          bits = kKindBlank;
        else if (o == sh_.literal)
          bits = kKindLiteral;
        else if (o == sh_.blank_node_or_iri)
          bits = kKindBlank | kKindIri;
        else if (o == sh_.blank_node_or_literal)
          bits = kKindBlank | kKindLiteral;
        else if (o == sh_.iri_or_literal)
          bits = kKindIri | kKindLiteral;
        else
          return bad(node, "sh:nodeKind must be one of the six SHACL node kinds");
        Constraint& c = add(s, Component::kNodeKind);
        c.term = o;
        c.number = bits;
      } else if (p == sh_.min_count || p == sh_.max_count) {
        if (!s.is_property) continue;
        Constraint& c = add(s, p == sh_.min_count ? Component::kMinCount : Component::kMaxCount);
        c.term = o;
        MPLI_RETURN_IF_ERROR(
            count(node, o, p == sh_.min_count ? "sh:minCount" : "sh:maxCount", &c.number));
      } else if (p == sh_.min_exclusive || p == sh_.min_inclusive || p == sh_.max_exclusive ||
                 p == sh_.max_inclusive) {
        if (!terms_.is_literal(o)) return bad(node, "range bounds must be literals");
        Component c = p == sh_.min_exclusive   ? Component::kMinExclusive
                      : p == sh_.min_inclusive ? Component::kMinInclusive
                      : p == sh_.max_exclusive ? Component::kMaxExclusive
                                               : Component::kMaxInclusive;
        add(s, c).term = o;
      } else if (p == sh_.min_length || p == sh_.max_length) {
        Constraint& c = add(s, p == sh_.min_length ? Component::kMinLength : Component::kMaxLength);
        c.term = o;
        MPLI_RETURN_IF_ERROR(count(node, o, "sh:minLength/sh:maxLength", &c.number));
      } else if (p == sh_.pattern) {
        MPLI_RETURN_IF_ERROR(pattern(node, s, o, flags));
      } else if (p == sh_.language_in) {
        std::vector<TermId> members;
        MPLI_RETURN_IF_ERROR(list(node, o, "sh:languageIn", &members));
        Constraint& c = add(s, Component::kLanguageIn);
        c.term = o;
        for (TermId m : members) {
          if (!terms_.is_literal(m)) return bad(node, "sh:languageIn members must be literals");
          c.strings.emplace_back(terms_.value(m));
        }
      } else if (p == sh_.unique_lang) {
        if (s.is_property && o == wk.xsd_true) add(s, Component::kUniqueLang).term = o;
      } else if (p == sh_.equals || p == sh_.disjoint || p == sh_.less_than ||
                 p == sh_.less_than_or_equals) {
        if (!terms_.is_iri(o)) return bad(node, "property pair parameters must be IRIs");
        Component c = p == sh_.equals      ? Component::kEquals
                      : p == sh_.disjoint  ? Component::kDisjoint
                      : p == sh_.less_than ? Component::kLessThan
                                           : Component::kLessThanOrEquals;
        if ((c == Component::kLessThan || c == Component::kLessThanOrEquals) && !s.is_property) {
          continue;
        }
        add(s, c).term = o;
      } else if (p == sh_.sh_not || p == sh_.node || p == sh_.property) {
        uint32_t operand = 0;
        MPLI_RETURN_IF_ERROR(shape(o, &operand));
        Component c = p == sh_.sh_not ? Component::kNot
                      : p == sh_.node ? Component::kNode
                                      : Component::kProperty;
        if (c == Component::kProperty) property_parents_.emplace_back(node, operand);
        Constraint& k = add(s, c);
        k.term = o;
        k.shapes.push_back(operand);
      } else if (p == sh_.sh_and || p == sh_.sh_or || p == sh_.sh_xone) {
        Component c = p == sh_.sh_and  ? Component::kAnd
                      : p == sh_.sh_or ? Component::kOr
                                       : Component::kXone;
        std::vector<uint32_t> operands;
        MPLI_RETURN_IF_ERROR(shape_list(node, o, "sh:and/sh:or/sh:xone", &operands));
        Constraint& k = add(s, c);
        k.term = o;
        k.shapes = std::move(operands);
      } else if (p == sh_.qualified_value_shape) {
        q_shape = o;
      } else if (p == sh_.qualified_min_count) {
        q_min.push_back(o);
      } else if (p == sh_.qualified_max_count) {
        q_max.push_back(o);
      } else if (p == sh_.qualified_value_shapes_disjoint) {
        q_disjoint = (o == wk.xsd_true);
      } else if (p == sh_.closed) {
        closed = (o == wk.xsd_true);
      } else if (p == sh_.ignored_properties) {
        MPLI_RETURN_IF_ERROR(list(node, o, "sh:ignoredProperties", &ignored));
      } else if (p == sh_.has_value) {
        add(s, Component::kHasValue).term = o;
      } else if (p == sh_.sh_in) {
        Constraint& c = add(s, Component::kIn);
        c.term = o;
        MPLI_RETURN_IF_ERROR(list(node, o, "sh:in", &c.terms));
        std::sort(c.terms.begin(), c.terms.end());
      }
    }
    if (q_shape != kNoTerm && s.is_property) {
      uint32_t operand = 0;
      MPLI_RETURN_IF_ERROR(shape(q_shape, &operand));
      auto add_q = [&](const std::vector<TermId>& values, Component c) -> Status {
        for (TermId v : values) {
          Constraint& k = add(s, c);
          k.term = v;
          k.shapes.push_back(operand);
          k.strings.push_back(q_disjoint ? "disjoint" : "");
          MPLI_RETURN_IF_ERROR(count(node, v, "sh:qualifiedMin/MaxCount", &k.number));
        }
        return Status::ok();
      };
      MPLI_RETURN_IF_ERROR(add_q(q_min, Component::kQualifiedMinCount));
      MPLI_RETURN_IF_ERROR(add_q(q_max, Component::kQualifiedMaxCount));
      if (q_disjoint) qualified_disjoint_.push_back(node);
    }
    if (closed) {
      Constraint& c = add(s, Component::kClosed);
      c.term = wk.xsd_true;
      c.terms = ignored;
      for (const Triple& t : graph_.with_subject_predicate(node, sh_.property)) {
        TermId pp = graph_.object(t.o, sh_.path);
        if (pp != kNoTerm && terms_.is_iri(pp)) c.terms.push_back(pp);
      }
      std::sort(c.terms.begin(), c.terms.end());
      c.terms.erase(std::unique(c.terms.begin(), c.terms.end()), c.terms.end());
    }
    return Status::ok();
  }

  Status pattern(TermId node, Shape& s, TermId value, TermId flags) {
    if (!terms_.is_literal(value)) return bad(node, "sh:pattern must be a literal");
    std::regex::flag_type options =
        std::regex::ECMAScript | std::regex::optimize | std::regex_constants::__polynomial;
    std::string_view flag_text = flags != kNoTerm ? terms_.value(flags) : std::string_view();
    std::string ecma = xpath_to_ecmascript(terms_.value(value), flag_text, &options);
    if (std::string problem = pattern_size_problem(ecma); !problem.empty()) {
      return bad(node, "sh:pattern " + problem);
    }
    try {
      program_.regexes.emplace_back(ecma, options);
    } catch (const std::regex_error& e) {
      if (e.code() == std::regex_constants::error_complexity) {
        return bad(node, "sh:pattern back-references are not supported");
      }
      return bad(node, "sh:pattern is not a valid regular expression: " + std::string(e.what()));
    }
    Constraint& c = add(s, Component::kPattern);
    c.term = value;
    c.regex = static_cast<uint32_t>(program_.regexes.size() - 1);
    return Status::ok();
  }

  // Sibling shapes of a qualified value shape Q on property shape P: the qualified value shapes
  // of every other property shape of P's parents (SHACL 4.7.3).
  void link_qualified_siblings() {
    for (TermId prop : qualified_disjoint_) {
      uint32_t prop_index = index_.at(prop);
      std::vector<uint32_t> siblings;
      for (const auto& [parent, child] : property_parents_) {
        if (child != prop_index) continue;
        for (const auto& [parent2, other] : property_parents_) {
          if (parent2 != parent) continue;
          for (const Constraint& c : program_.shapes[other].constraints) {
            if (c.component == Component::kQualifiedMinCount ||
                c.component == Component::kQualifiedMaxCount) {
              siblings.push_back(c.shapes.front());
            }
          }
        }
      }
      std::sort(siblings.begin(), siblings.end());
      siblings.erase(std::unique(siblings.begin(), siblings.end()), siblings.end());
      for (Constraint& c : program_.shapes[prop_index].constraints) {
        if (c.component != Component::kQualifiedMinCount &&
            c.component != Component::kQualifiedMaxCount) {
          continue;
        }
        for (uint32_t sib : siblings) {
          if (sib != c.shapes.front()) c.siblings.push_back(sib);
        }
      }
    }
  }

  const Graph& graph_;
  TermTable& terms_;
  const Vocabulary& sh_;
  ShapesProgram& program_;
  std::unordered_map<TermId, uint32_t> index_;
  std::vector<TermId> pending_;  // shapes registered, in index order, compiled by run()
  size_t path_steps_ = 0;        // steps of the current shape's path
  std::vector<std::pair<TermId, uint32_t>> property_parents_;  // (parent node, property shape)
  std::vector<TermId> qualified_disjoint_;
};

}  // namespace

bool looks_at_value_terms_only(Component c) {
  switch (c) {
    case Component::kDatatype:
    case Component::kNodeKind:
    case Component::kMinCount:
    case Component::kMaxCount:
    case Component::kMinExclusive:
    case Component::kMinInclusive:
    case Component::kMaxExclusive:
    case Component::kMaxInclusive:
    case Component::kMinLength:
    case Component::kMaxLength:
    case Component::kPattern:
    case Component::kLanguageIn:
    case Component::kUniqueLang:
    case Component::kHasValue:
    case Component::kIn:
      return true;
    default:
      return false;
  }
}

std::string_view component_name(Component c) {
  static const std::string_view kNames[] = {"ClassConstraintComponent",
                                            "DatatypeConstraintComponent",
                                            "NodeKindConstraintComponent",
                                            "MinCountConstraintComponent",
                                            "MaxCountConstraintComponent",
                                            "MinExclusiveConstraintComponent",
                                            "MinInclusiveConstraintComponent",
                                            "MaxExclusiveConstraintComponent",
                                            "MaxInclusiveConstraintComponent",
                                            "MinLengthConstraintComponent",
                                            "MaxLengthConstraintComponent",
                                            "PatternConstraintComponent",
                                            "LanguageInConstraintComponent",
                                            "UniqueLangConstraintComponent",
                                            "EqualsConstraintComponent",
                                            "DisjointConstraintComponent",
                                            "LessThanConstraintComponent",
                                            "LessThanOrEqualsConstraintComponent",
                                            "NotConstraintComponent",
                                            "AndConstraintComponent",
                                            "OrConstraintComponent",
                                            "XoneConstraintComponent",
                                            "NodeConstraintComponent",
                                            "PropertyConstraintComponent",
                                            "QualifiedMinCountConstraintComponent",
                                            "QualifiedMaxCountConstraintComponent",
                                            "ClosedConstraintComponent",
                                            "HasValueConstraintComponent",
                                            "InConstraintComponent"};
  return kNames[static_cast<size_t>(c)];
}

Result<ShapesProgram> compile_shapes(const rdf::Graph& shapes_graph) {
  ShapesProgram program;
  program.terms = shapes_graph.terms_ptr();
  program.vocab = std::make_shared<const Vocabulary>(*program.terms);
  shapes_graph.index();
  Compiler compiler(shapes_graph, program);
  Status st = compiler.run();
  if (!st.is_ok()) return st;
  return program;
}

}  // namespace mpli::shacl
