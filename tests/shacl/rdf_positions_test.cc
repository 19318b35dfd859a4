// Node positions (ParseOptions::node_positions): where each subject was first written, so a
// report can name the line of the node a person must fix, blank nodes included.
#include <catch2/catch.hpp>

#include "libs/rdf/graph.h"
#include "libs/rdf/parser.h"

using namespace mpli::rdf;

namespace {

constexpr std::string_view kManifest =
    "@prefix ex: <http://example.org/> .\n"      // 1
    "\n"                                         // 2
    "ex:shop a ex:Offering ;\n"                  // 3
    "    ex:price [\n"                           // 4
    "        ex:amount 12 ;\n"                   // 5
    "        ex:unit \"hour\"\n"                 // 6
    "    ] ;\n"                                  // 7
    "    ex:level _:sla .\n"                     // 8
    "\n"                                         // 9
    "  _:sla ex:availability 99.9 .\n"           // 10
    "<http://example.org/db> a ex:Offering ;\n"  // 11
    "    ex:region ( ex:fr ex:de ) .\n";         // 12

SourcePosition position_of(const NodePositions& positions, TermId id) {
  auto it = positions.find(id);
  REQUIRE(it != positions.end());
  return it->second;
}

TermId only_object(const Graph& g, TermId s, std::string_view predicate) {
  TermId p = g.terms().find_iri(std::string("http://example.org/") + std::string(predicate));
  TermId o = g.object(s, p);
  REQUIRE(o != kNoTerm);
  return o;
}

}  // namespace

TEST_CASE("node positions name where each subject was written", "[rdf][positions]") {
  Graph g;
  NodePositions positions;
  ParseOptions options;
  options.node_positions = &positions;
  REQUIRE(parse_string(kManifest, "manifest.ttl", g, options).is_ok());

  TermId shop = g.terms().find_iri("http://example.org/shop");
  TermId db = g.terms().find_iri("http://example.org/db");
  SourcePosition shop_at = position_of(positions, shop);
  CHECK(shop_at.line == 3);
  CHECK(shop_at.column == 1);
  SourcePosition db_at = position_of(positions, db);
  CHECK(db_at.line == 11);
  CHECK(db_at.column == 1);

  // An anonymous blank node is placed at its '['; a labelled one where its label was written
  // as a subject.
  SourcePosition price_at = position_of(positions, only_object(g, shop, "price"));
  CHECK(price_at.line == 4);
  CHECK(price_at.column == 14);
  SourcePosition sla_at = position_of(positions, only_object(g, shop, "level"));
  CHECK(sla_at.line == 10);
  CHECK(sla_at.column == 3);
  // Collection cells are subjects too: each is somewhere on the collection's line.
  CHECK(position_of(positions, only_object(g, db, "region")).line == 12);
}

TEST_CASE("node positions of a rejected document are not recorded", "[rdf][positions]") {
  Graph g;
  NodePositions positions;
  ParseOptions options;
  options.node_positions = &positions;
  std::string broken = std::string(kManifest) + "ex:broken ex:p \"unterminated .\n";
  CHECK_FALSE(parse_string(broken, "broken.ttl", g, options).is_ok());
  CHECK(positions.empty());
  CHECK(g.size() == 0);
}

TEST_CASE("node positions change nothing about what is parsed", "[rdf][positions]") {
  Graph plain;
  REQUIRE(parse_string(kManifest, "manifest.ttl", plain).is_ok());
  Graph tracked(plain.terms_ptr());
  NodePositions positions;
  ParseOptions options;
  options.node_positions = &positions;
  REQUIRE(parse_string(kManifest, "manifest.ttl", tracked, options).is_ok());
  CHECK(tracked.size() == plain.size());
  // A second document into the same map keeps the first document's positions.
  Graph again(plain.terms_ptr());
  REQUIRE(parse_string("\n\n\n\n<http://example.org/shop> <http://example.org/p> 1 .\n",
                       "other.ttl", again, options)
              .is_ok());
  CHECK(positions.at(plain.terms().find_iri("http://example.org/shop")).line == 3);
}
