// ShapeChecks over the index's path columns gives exactly what Validator::validate_node gives
// (conformance and every result, in order) on random catalogues: values of many datatypes,
// ill-typed and language-tagged literals, IRIs and blank nodes, none or several per property,
// reached directly, through a blank node per offering or through the provider node; shapes
// with ranges of several datatypes, sh:in, sh:hasValue, counts, sh:datatype, sh:nodeKind,
// sh:pattern, lengths, languages, logical and qualified value shapes (decided by columns)
// mixed with sh:class and inverse paths (left to the engine). Then again after providers are
// replaced and removed and facts change, which the columns must follow.
#include "services/resolver/domain/column_checks.h"

#include <catch2/catch.hpp>
#include <random>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#include "libs/rdf/parser.h"
#include "libs/shacl/shapes.h"
#include "libs/shacl/validator.h"

namespace mpli::resolver {
namespace {

const std::string kEx = "https://t.example/";
const std::string kMpliNs = "https://w3id.org/mpli#";
const std::string kXsd = "http://www.w3.org/2001/XMLSchema#";

// Objects in N-Triples form (valid Turtle too). Numbers of every numeric datatype, equal in
// value across datatypes, ill-typed, NaN; strings and dates that do not compare with numbers.
const std::vector<std::string> kValues = {
    "\"1\"^^<" + kXsd + "integer>",
    "\"4\"^^<" + kXsd + "integer>",
    "\"04\"^^<" + kXsd + "integer>",
    "\"10\"^^<" + kXsd + "integer>",
    "\"-3\"^^<" + kXsd + "integer>",
    "\"4.0\"^^<" + kXsd + "decimal>",
    "\"99.9\"^^<" + kXsd + "decimal>",
    "\"3.5\"^^<" + kXsd + "decimal>",
    "\"4.0E0\"^^<" + kXsd + "double>",
    "\"NaN\"^^<" + kXsd + "double>",
    "\"INF\"^^<" + kXsd + "double>",
    "\"4\"^^<" + kXsd + "float>",
    "\"abc\"^^<" + kXsd + "integer>",
    "\"4\"^^<" + kXsd + "string>",
    "\"4\"",
    "\"4\"@en",
    "\"vier\"@de",
    "\"2026-01-01\"^^<" + kXsd + "date>",
    "\"2026-01-01T00:00:00Z\"^^<" + kXsd + "dateTime>",
    "\"true\"^^<" + kXsd + "boolean>",
    "<" + kEx + "A>",
    "<" + kEx + "B>",
};

// Paths as Turtle, and whether the test gives them values directly on the offering.
const std::vector<std::string> kPaths = {
    "<" + kEx + "a>",
    "<" + kEx + "b>",
    "<" + kEx + "c>",
    "( <" + kEx + "sl> <" + kEx + "x> )",
    "( <" + kMpliNs + "provider> <" + kEx + "cert> )",
    "[ <http://www.w3.org/ns/shacl#inversePath> <" + kEx + "a> ]",
};

class Random {
 public:
  explicit Random(uint32_t seed) : engine_(seed) {}
  int below(int n) { return static_cast<int>(engine_() % static_cast<uint32_t>(n)); }
  const std::string& value() { return kValues[static_cast<size_t>(below(kValues.size()))]; }

 private:
  std::mt19937 engine_;
};

// One provider's manifest as N-Triples: its node (with a few ex:cert values), and offerings
// with 0-3 values for ex:a, ex:b, ex:c and a blank service level node with ex:x values.
std::string provider_ntriples(Random& rnd, int provider, int offerings) {
  std::ostringstream nt;
  std::string base = "https://p" + std::to_string(provider) + ".example/#";
  std::string p = "<" + base + "provider>";
  nt << p << " <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <" << kMpliNs << "Provider> .\n";
  for (int k = rnd.below(3); k > 0; --k)
    nt << p << " <" << kEx << "cert> " << rnd.value() << " .\n";
  // sh:class depends on the graph: ex:A is an ex:C in some providers' graphs only.
  if (rnd.below(2) == 0) {
    nt << "<" << kEx << "A> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <" << kEx << "C> .\n";
  }
  for (int i = 0; i < offerings; ++i) {
    std::string o = "<" + base + "o" + std::to_string(i) + ">";
    nt << o << " <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <" << kMpliNs << "Offering> .\n";
    nt << o << " <" << kMpliNs << "provider> " << p << " .\n";
    nt << o << " <" << kMpliNs << "offeringKind> <" << kMpliNs << "VirtualMachine> .\n";
    for (const char* predicate : {"a", "b", "c"}) {
      int n = rnd.below(5) == 0 ? 0 : 1 + (rnd.below(4) == 0 ? rnd.below(3) : 0);
      for (int k = 0; k < n; ++k) {
        // ex:c mostly IRIs (whose sh:class differs between graphs), the others any value.
        std::string v = rnd.below(15) == 0 ? "_:v" + std::to_string(i) : rnd.value();
        if (predicate[0] == 'c' && rnd.below(2) == 0) v = "<" + kEx + "A>";
        nt << o << " <" << kEx << predicate << "> " << v << " .\n";
      }
    }
    if (rnd.below(6) > 0) {
      std::string sl = "_:sl" + std::to_string(i);
      nt << o << " <" << kEx << "sl> " << sl << " .\n";
      for (int k = rnd.below(3); k > 0; --k)
        nt << sl << " <" << kEx << "x> " << rnd.value() << " .\n";
    }
  }
  return nt.str();
}

std::string value_list(Random& rnd) {
  std::string out = "(";
  for (int k = 1 + rnd.below(3); k > 0; --k) out += " " + rnd.value();
  return out + " )";
}

// One constraint of a property shape, as Turtle predicate-object pairs.
std::string random_constraint(Random& rnd) {
  const std::string bounds[] = {
      "4",       "4.0",  "\"4.0E0\"^^<" + kXsd + "double>", "\"2026-01-01\"^^<" + kXsd + "date>",
      "\"abc\"", "99.9", "\"NaN\"^^<" + kXsd + "double>"};
  const std::string& bound = bounds[static_cast<size_t>(rnd.below(7))];
  switch (rnd.below(17)) {
    case 0:
      return "sh:minInclusive " + bound;
    case 1:
      return "sh:maxInclusive " + bound;
    case 2:
      return "sh:minExclusive " + bound;
    case 3:
      return "sh:maxExclusive " + bound;
    case 4:
      return "sh:in " + value_list(rnd);
    case 5:
      return "sh:hasValue " + rnd.value();
    case 6:
      return std::string("sh:datatype xsd:") + (rnd.below(2) == 0 ? "integer" : "decimal");
    case 7:
      return "sh:minCount " + std::to_string(rnd.below(3));
    case 8:
      return "sh:maxCount " + std::to_string(rnd.below(3));
    case 9:
      return std::string("sh:nodeKind ") + (rnd.below(2) == 0 ? "sh:Literal" : "sh:IRI");
    case 10:
      return "sh:pattern \"^4\"";
    case 11:
      return "sh:minLength 2";
    case 12:
      return "sh:languageIn ( \"en\" )";
    case 13:
      return "sh:qualifiedValueShape [ sh:in " + value_list(rnd) + " ] ; sh:qualifiedMinCount " +
             std::to_string(rnd.below(3));
    case 14:
      return "sh:not [ sh:datatype xsd:integer ]";
    case 15:
      return "sh:or ( [ sh:datatype xsd:decimal ] [ sh:in " + value_list(rnd) +
             " ] [ sh:minInclusive " + bound + " ] )";
    default:
      return "sh:class <" + kEx + "C>";  // the data graph's types: left to the engine
  }
}

std::string random_shape(Random& rnd) {
  std::string ttl = "@prefix sh: <http://www.w3.org/ns/shacl#> .\n@prefix xsd: <" + kXsd + "> .\n" +
                    "<" + kEx + "shape> a sh:NodeShape ; sh:property ";
  int properties = 1 + rnd.below(4);
  for (int i = 0; i < properties; ++i) {
    if (i > 0) ttl += " , ";
    ttl += "[ sh:path " + kPaths[static_cast<size_t>(rnd.below(kPaths.size()))];
    for (int k = 1 + rnd.below(3); k > 0; --k) ttl += " ; " + random_constraint(rnd);
    ttl += " ]";
  }
  return ttl + " .\n";
}

std::vector<Fact> random_facts(Random& rnd, const std::string& subject, const std::string& local) {
  std::vector<Fact> facts;
  for (int k = rnd.below(3); k > 0; --k) {
    const std::string& v = rnd.value();
    Fact fact;
    fact.subject = subject;
    fact.predicate = kEx + local;
    if (v[0] == '<') {
      fact.object = v.substr(1, v.size() - 2);
    } else {
      // "lexical"^^<datatype>, "lexical"@lang (kept as a plain string) or "lexical".
      size_t close = v.find('"', 1);
      fact.object = v.substr(1, close - 1);
      fact.object_is_literal = true;
      size_t type = v.find("^^<", close);
      if (type != std::string::npos) fact.datatype = v.substr(type + 3, v.size() - type - 4);
    }
    facts.push_back(fact);
  }
  return facts;
}

using ResultKey = std::tuple<TermId, TermId, uint32_t, int, TermId, uint32_t>;

std::vector<ResultKey> keys(const std::vector<shacl::ValidationResult>& results) {
  std::vector<ResultKey> out;
  for (const auto& r : results) {
    out.emplace_back(r.focus, r.value, r.shape, static_cast<int>(r.component), r.path_predicate,
                     r.constraint);
  }
  return out;
}

// Every offering of the index against the shape: the columns' answer against the engine's.
void check_every_offering(const CatalogueIndex& index, const shacl::ShapesProgram& program,
                          uint32_t shape, size_t* failing) {
  ShapeChecks checks(program, index);
  for (const OfferingRef& ref : index.offerings()) {
    shacl::Validator engine(program, ref.provider->graph);
    std::vector<shacl::ValidationResult> expected;
    bool expected_ok = engine.validate_node(shape, ref.node, &expected);
    std::vector<shacl::ValidationResult> got;
    bool got_ok = checks.requirement(shape, ref, &got);
    INFO("offering " << ref.offering().iri);
    REQUIRE(got_ok == expected_ok);
    REQUIRE(keys(got) == keys(expected));
    if (!expected_ok) ++*failing;
  }
}

TEST_CASE("column checks: the same answers and results as the engine on random catalogues") {
  size_t decided_by_columns = 0, left_to_engine = 0, failing = 0, checked = 0;
  for (uint32_t seed = 1; seed <= 150; ++seed) {
    INFO("seed " << seed);
    Random rnd(seed);
    CatalogueIndex index;
    int providers = 2 + rnd.below(4);
    for (int p = 0; p < providers; ++p) {
      REQUIRE(
          index.put_provider("p" + std::to_string(p), provider_ntriples(rnd, p, 1 + rnd.below(6)))
              .is_ok());
    }
    std::string shape_ttl = random_shape(rnd);
    INFO(shape_ttl);
    rdf::Graph shapes_graph(index.terms());
    REQUIRE(rdf::parse_string(shape_ttl, "shape", shapes_graph, {}).is_ok());
    auto program = shacl::compile_shapes(shapes_graph);
    REQUIRE(program.is_ok());
    uint32_t shape = 0;
    for (uint32_t i = 0; i < program->shapes.size(); ++i) {
      if (program->shapes[i].node == index.terms()->find_iri(kEx + "shape")) shape = i;
    }
    for (const auto& c : program->shapes[shape].constraints) {
      auto path = column_path(*program, c.shapes.front());
      if (path) {
        REQUIRE(index.add_column(*path) != nullptr);
        ++decided_by_columns;
      } else {
        ++left_to_engine;
      }
    }
    check_every_offering(index, *program, shape, &failing);

    // Changes the columns must follow: a provider replaced, facts on a provider and on an
    // offering (new values for the paths), a provider removed, one added.
    REQUIRE(index.put_provider("p0", provider_ntriples(rnd, 0, 1 + rnd.below(6))).is_ok());
    std::string p1 = "https://p1.example/#";
    index.set_facts(p1 + "provider", random_facts(rnd, p1 + "provider", "cert"));
    index.set_facts(p1 + "o0", random_facts(rnd, p1 + "o0", "a"));
    check_every_offering(index, *program, shape, &failing);
    index.remove_provider("p1");
    REQUIRE(index.put_provider("p9", provider_ntriples(rnd, 9, 1 + rnd.below(6))).is_ok());
    index.set_facts("https://p9.example/#o0", random_facts(rnd, "https://p9.example/#o0", "b"));
    check_every_offering(index, *program, shape, &failing);
    checked += index.offering_count();
  }
  // Not degenerate: both routes are taken, and offerings both pass and fail.
  CHECK(decided_by_columns > 100);
  CHECK(left_to_engine > 20);
  CHECK(failing > checked / 10);
  CHECK(failing < checked * 3);
}

TEST_CASE("column checks: which property shapes a column decides") {
  CatalogueIndex index;
  rdf::Graph shapes_graph(index.terms());
  REQUIRE(rdf::parse_string(R"(
@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix ex: <https://t.example/> .
ex:s a sh:NodeShape ; sh:property
  [ sh:path ex:a ; sh:minCount 1 ; sh:minInclusive 4 ] ,
  [ sh:path ( ex:b ex:c ) ; sh:in ( "DE" "FR" ) ] ,
  [ sh:path ex:d ; sh:qualifiedValueShape [ sh:in ( ex:X ) ] ; sh:qualifiedMinCount 1 ] ,
  [ sh:path ex:e ; sh:class ex:C ] ,
  [ sh:path [ sh:inversePath ex:f ] ; sh:minCount 1 ] ,
  [ sh:path ex:g ; sh:node [ sh:property [ sh:path ex:h ; sh:minCount 1 ] ] ] ,
  [ sh:path ex:i ; sh:lessThan ex:j ] ,
  [ sh:path ( ex:k ex:l ex:m ex:n ex:o ) ; sh:minCount 1 ] ,
  [ sh:path ex:p ; sh:deactivated true ; sh:minCount 1 ] .
)",
                            "shapes", shapes_graph, {})
              .is_ok());
  auto program = shacl::compile_shapes(shapes_graph);
  REQUIRE(program.is_ok());
  std::vector<bool> decided;
  for (const auto& shape : program->shapes) {
    if (shape.node != index.terms()->find_iri(kEx + "s")) continue;
    for (const auto& c : shape.constraints) {
      decided.push_back(column_path(*program, c.shapes.front()).has_value());
    }
  }
  // Values alone (ranges, sh:in, qualified sh:in) yes; the graph's types, a nested path, the
  // focus's other values, an inverse path, more steps than kept, a deactivated shape no.
  CHECK(decided == std::vector<bool>{true, true, true, false, false, false, false, false, false});
}

// Nearest misses are ordered by OfferingRow::iri_before, which decides most pairs by a key of
// the IRI's first 16 bytes: it must order exactly as the IRIs themselves.
TEST_CASE("offering rows order their IRIs as the IRIs compare") {
  CatalogueIndex index;
  const std::vector<std::string> locals = {
      "", "a", "ab", "b", "o1", "o10", "o2", "x/y/z/longer", "\xc3\xa9t\xc3\xa9", "~", "Z"};
  const std::vector<std::string> hosts = {"https://p.example/", "https://p.example/#",
                                          "https://q.example/deeper/path/", "http://a", "urn:x:"};
  int provider = 0;
  for (const std::string& host : hosts) {
    std::ostringstream nt;
    std::string p = "<https://provider" + std::to_string(provider) + ".example/#p>";
    nt << p << " <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <" << kMpliNs << "Provider> .\n";
    for (const std::string& local : locals) {
      std::string o = "<" + host + local + ">";
      if (o == "<urn:x:>") continue;
      nt << o << " <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <" << kMpliNs
         << "Offering> .\n";
      nt << o << " <" << kMpliNs << "provider> " << p << " .\n";
    }
    REQUIRE(index.put_provider("p" + std::to_string(provider++), nt.str()).is_ok());
  }
  const auto& refs = index.offerings();
  REQUIRE(refs.size() > 40);
  for (const OfferingRef& a : refs) {
    for (const OfferingRef& b : refs) {
      const OfferingRow& row_a = index.row(a.row);
      const OfferingRow& row_b = index.row(b.row);
      INFO(a.offering().iri << " against " << b.offering().iri);
      CHECK(row_a.iri_view() == a.offering().iri);
      CHECK(row_a.iri_before(row_b) == (a.offering().iri < b.offering().iri));
    }
  }
}

}  // namespace
}  // namespace mpli::resolver
