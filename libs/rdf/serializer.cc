#include "libs/rdf/serializer.h"

#include <algorithm>
#include <cctype>
#include <sstream>
#include <unordered_map>
#include <unordered_set>

namespace mpli::rdf {
namespace {

bool is_local_name(std::string_view s) {
  if (s.empty()) return true;
  for (size_t i = 0; i < s.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    bool ok = std::isalnum(c) || c == '_' || (i > 0 && c == '-');
    if (!ok) return false;
  }
  return true;
}

bool is_integer(std::string_view s) {
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) s.remove_prefix(1);
  if (s.empty()) return false;
  for (char c : s) {
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

class TurtleWriter {
 public:
  TurtleWriter(const Graph& graph, std::ostream& out, const PrefixList& extra)
      : graph_(graph), terms_(graph.terms()), out_(out) {
    for (const auto& p : graph.prefixes()) add_prefix(p.first, p.second);
    for (const auto& p : extra) add_prefix(p.first, p.second);
    // Longest namespace first, so the most specific prefix wins.
    std::sort(prefixes_.begin(), prefixes_.end(),
              [](const auto& a, const auto& b) { return a.second.size() > b.second.size(); });
  }

  void write() {
    std::vector<std::pair<std::string, std::string>> sorted = prefixes_;
    std::sort(sorted.begin(), sorted.end());
    for (const auto& [name, iri] : sorted) out_ << "@prefix " << name << ": <" << iri << "> .\n";
    if (!sorted.empty()) out_ << "\n";

    for (const Triple& t : graph_.triples()) {
      if (terms_.is_blank(t.o)) ++object_refs_[t.o];
    }
    TermId last = kNoTerm;
    std::vector<TermId> subjects;
    for (const Triple& t : graph_.triples()) {
      if (t.s != last) subjects.push_back(t.s);
      last = t.s;
    }
    for (TermId s : subjects) {
      if (inlinable(s)) continue;
      write_subject(s);
    }
    // Blank nodes referenced once but only from each other (a cycle) were never reached.
    for (TermId s : subjects) {
      if (!printed_.count(s)) write_subject(s);
    }
  }

 private:
  void add_prefix(const std::string& name, const std::string& iri) {
    for (const auto& p : prefixes_) {
      if (p.first == name) return;
    }
    prefixes_.emplace_back(name, iri);
  }

  bool inlinable(TermId s) const {
    if (!terms_.is_blank(s)) return false;
    auto it = object_refs_.find(s);
    return it != object_refs_.end() && it->second == 1;
  }

  void write_subject(TermId s) {
    printed_.insert(s);
    // A blank node nobody points to needs no label.
    bool anonymous = terms_.is_blank(s) && object_refs_.find(s) == object_refs_.end();
    out_ << (anonymous ? std::string("[]") : term(s));
    write_properties(s, 1);
    out_ << " .\n";
  }

  // A chain of inlinable blank nodes with exactly rdf:first and rdf:rest, ending in rdf:nil.
  bool collect_list(TermId node, std::vector<TermId>* items) const {
    const auto& wk = terms_.well_known();
    items->clear();
    while (node != wk.rdf_nil) {
      if (!inlinable(node) || printed_.count(node) || items->size() > 10000) return false;
      TripleRange r = graph_.with_subject(node);
      if (r.size() != 2) return false;
      TermId first = kNoTerm;
      TermId rest = kNoTerm;
      for (const Triple& t : r) {
        if (t.p == wk.rdf_first) first = t.o;
        if (t.p == wk.rdf_rest) rest = t.o;
      }
      if (first == kNoTerm || rest == kNoTerm) return false;
      items->push_back(first);
      list_nodes_.push_back(node);
      node = rest;
    }
    return true;
  }

  void write_properties(TermId s, int depth) {
    TermId last_p = kNoTerm;
    bool first = true;
    for (const Triple& t : graph_.with_subject(s)) {
      if (t.p == last_p) {
        out_ << " , ";
      } else {
        out_ << (first ? "\n" : " ;\n") << std::string(static_cast<size_t>(depth) * 2, ' ')
             << (t.p == terms_.well_known().rdf_type ? std::string("a") : term(t.p)) << " ";
      }
      first = false;
      last_p = t.p;
      write_object(t.o, depth);
    }
  }

  void write_object(TermId o, int depth) {
    // A blank node without triples here (say, a shape node named by a report) keeps its label.
    std::vector<TermId> items;
    list_nodes_.clear();
    if (depth < 32 && terms_.is_blank(o) && collect_list(o, &items)) {
      for (TermId n : list_nodes_) printed_.insert(n);
      out_ << "(";
      for (TermId item : items) {
        out_ << " ";
        write_object(item, depth + 1);
      }
      out_ << " )";
      return;
    }
    if (inlinable(o) && !printed_.count(o) && depth < 32 && !graph_.with_subject(o).empty()) {
      printed_.insert(o);
      out_ << "[";
      write_properties(o, depth + 1);
      out_ << "\n" << std::string(static_cast<size_t>(depth) * 2, ' ') << "]";
      return;
    }
    out_ << (o == terms_.well_known().rdf_nil ? std::string("()") : term(o));
  }

  std::string term(TermId id) const {
    switch (terms_.kind(id)) {
      case TermKind::kIri:
        return iri(terms_.value(id));
      case TermKind::kBlank:
        return "_:" + std::string(terms_.value(id));
      case TermKind::kLiteral: {
        TermId dt = terms_.datatype(id);
        std::string_view lex = terms_.value(id);
        const auto& wk = terms_.well_known();
        if (dt == wk.xsd_boolean && (lex == "true" || lex == "false")) return std::string(lex);
        if (dt == wk.xsd_integer && is_integer(lex)) return std::string(lex);
        std::string nt = terms_.to_ntriples(id);
        if (dt != terms_.well_known().xsd_string && terms_.lang(id).empty()) {
          // Replace ^^<iri> with ^^prefix:name when possible.
          size_t pos = nt.rfind("^^<");
          if (pos != std::string::npos) nt = nt.substr(0, pos + 2) + iri(terms_.value(dt));
        }
        return nt;
      }
    }
    return {};
  }

  std::string iri(std::string_view value) const {
    for (const auto& [name, ns] : prefixes_) {
      if (value.size() >= ns.size() && value.compare(0, ns.size(), ns) == 0 &&
          is_local_name(value.substr(ns.size()))) {
        return name + ":" + std::string(value.substr(ns.size()));
      }
    }
    return "<" + std::string(value) + ">";
  }

  const Graph& graph_;
  const TermTable& terms_;
  std::ostream& out_;
  std::vector<std::pair<std::string, std::string>> prefixes_;
  std::unordered_map<TermId, int> object_refs_;
  std::unordered_set<TermId> printed_;
  mutable std::vector<TermId> list_nodes_;
};

}  // namespace

void write_turtle(const Graph& graph, std::ostream& out, const PrefixList& extra_prefixes) {
  TurtleWriter(graph, out, extra_prefixes).write();
}

void write_ntriples(const Graph& graph, std::ostream& out) {
  const TermTable& terms = graph.terms();
  for (const Triple& t : graph.triples()) {
    out << terms.to_ntriples(t.s) << ' ' << terms.to_ntriples(t.p) << ' ' << terms.to_ntriples(t.o)
        << " .\n";
  }
}

std::string to_turtle(const Graph& graph, const PrefixList& extra_prefixes) {
  std::ostringstream out;
  write_turtle(graph, out, extra_prefixes);
  return out.str();
}

std::string to_ntriples(const Graph& graph) {
  std::ostringstream out;
  write_ntriples(graph, out);
  return out.str();
}

}  // namespace mpli::rdf
