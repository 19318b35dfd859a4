// Unit tests for mpli::rdf: term interning, graph indexes, Serd parsing (errors with
// line:column, strict and lax modes, undefined prefixes), serialisation and literal semantics.
#include <catch2/catch.hpp>
#include <sstream>

#include "libs/rdf/graph.h"
#include "libs/rdf/literal.h"
#include "libs/rdf/parser.h"
#include "libs/rdf/serializer.h"

using namespace mpli::rdf;

namespace {

Graph parse_ok(std::string_view text, Syntax syntax = Syntax::kTurtle) {
  Graph g;
  ParseOptions options;
  options.syntax = syntax;
  options.base_iri = "http://example.org/base/";
  mpli::Status st = parse_string(text, "test.ttl", g, options);
  INFO(st.message());
  REQUIRE(st.is_ok());
  return g;
}

TermId lit(TermTable& t, std::string_view lex, std::string_view dt) {
  return t.literal(lex, t.iri(std::string(iri::kXsd) + std::string(dt)));
}

}  // namespace

TEST_CASE("terms intern to stable ids", "[rdf][terms]") {
  TermTable t;
  TermId a = t.iri("http://example.org/a");
  CHECK(t.iri("http://example.org/a") == a);
  CHECK(t.blank("a") != a);
  TermId plain = t.literal("x");
  CHECK(t.datatype(plain) == t.well_known().xsd_string);
  CHECK(t.literal("x", t.well_known().xsd_string) == plain);
  TermId en = t.literal("x", kNoTerm, "EN");
  CHECK(en != plain);
  CHECK(t.lang(en) == "en");
  CHECK(t.datatype(en) == t.well_known().rdf_lang_string);
  CHECK(t.to_ntriples(en) == "\"x\"@en");
  CHECK(t.to_ntriples(t.literal("a\"b\n")) == "\"a\\\"b\\n\"");
  CHECK(t.find_iri("http://example.org/none") == kNoTerm);
  CHECK(t.find_literal("x", kNoTerm, "En") == en);
  CHECK(t.find_literal("x", kNoTerm) == plain);
  CHECK(t.find_literal("never", kNoTerm) == kNoTerm);
  for (int i = 0; i < 5000; ++i) t.iri("http://example.org/n" + std::to_string(i));
  CHECK(t.iri("http://example.org/a") == a);
  CHECK(t.value(t.find_iri("http://example.org/n4999")) == "http://example.org/n4999");
}

TEST_CASE("large term tables keep every id", "[rdf][terms]") {
  // Enough terms that the slot table moves to the huge-page mapped allocation.
  TermTable t;
  std::vector<TermId> ids;
  for (int i = 0; i < 300000; ++i) ids.push_back(t.literal("v" + std::to_string(i)));
  for (int i = 0; i < 300000; i += 997) {
    CHECK(t.literal("v" + std::to_string(i)) == ids[static_cast<size_t>(i)]);
    CHECK(t.value(ids[static_cast<size_t>(i)]) == "v" + std::to_string(i));
  }
  CHECK(t.size() > 300000);
}

TEST_CASE("graph lookups by subject, predicate and object", "[rdf][graph]") {
  Graph g = parse_ok(R"(@prefix ex: <http://example.org/> .
    ex:a ex:p ex:b , ex:c ; ex:q "1" .
    ex:d ex:p ex:b .
    ex:a ex:p ex:b .)");
  TermTable& t = g.terms();
  TermId a = t.iri("http://example.org/a");
  TermId b = t.iri("http://example.org/b");
  TermId p = t.iri("http://example.org/p");
  CHECK(g.size() == 4);  // the duplicate is removed
  CHECK(g.with_subject(a).size() == 3);
  CHECK(g.with_subject_predicate(a, p).size() == 2);
  CHECK(g.with_predicate(p).size() == 3);
  CHECK(g.with_predicate_object(p, b).size() == 2);
  CHECK(g.contains(a, p, b));
  CHECK_FALSE(g.contains(b, p, a));
  CHECK(g.object(a, t.iri("http://example.org/q")) == t.literal("1"));
}

TEST_CASE("a small graph over a large table can build its predicate index on demand",
          "[rdf][graph]") {
  auto terms = std::make_shared<TermTable>();
  for (int i = 0; i < 20000; ++i) terms->iri("http://example.org/filler" + std::to_string(i));
  TermId a = terms->iri("http://example.org/a");
  TermId b = terms->iri("http://example.org/b");
  TermId c = terms->iri("http://example.org/c");
  TermId p = terms->iri("http://example.org/p");
  TermId q = terms->iri("http://example.org/q");
  Graph eager(terms);
  Graph lazy(terms);
  lazy.build_predicate_index_on_demand();
  for (Graph* g : {&eager, &lazy}) {
    g->add(a, p, b);
    g->add(c, p, b);
    g->add(a, q, c);
    g->add(a, p, b);
    g->index();
  }
  CHECK(lazy.size() == 3);
  CHECK(lazy.with_subject_predicate(a, p).size() == 1);
  CHECK(lazy.with_predicate(p).size() == eager.with_predicate(p).size());
  CHECK(lazy.with_predicate_object(p, b).size() == 2);
  CHECK(lazy.with_predicate_object(q, c).size() == 1);
  // Added to after the first query by predicate: the next one sees the new triple.
  lazy.add(b, q, c);
  CHECK(lazy.with_predicate_object(q, c).size() == 2);
}

TEST_CASE("RDF lists", "[rdf][graph]") {
  Graph g = parse_ok(R"(<http://x/s> <http://x/p> ( 1 2 3 ) .
    _:bad <http://www.w3.org/1999/02/22-rdf-syntax-ns#first> 1 .)");
  TermId head = g.object(g.terms().iri("http://x/s"), g.terms().iri("http://x/p"));
  std::vector<TermId> items;
  REQUIRE(g.list(head, &items));
  CHECK(items.size() == 3);
  CHECK(g.terms().value(items[2]) == "3");
  Graph g2 = parse_ok("_:l <http://www.w3.org/1999/02/22-rdf-syntax-ns#first> 1 .");
  TermId bad = g2.triples().begin()->s;
  CHECK_FALSE(g2.list(bad, &items));
}

TEST_CASE("relative IRIs resolve against the base", "[rdf][parser]") {
  Graph g = parse_ok("<a> <b> <../c> .");
  const Triple& t = *g.triples().begin();
  CHECK(g.terms().value(t.s) == "http://example.org/base/a");
  CHECK(g.terms().value(t.o) == "http://example.org/c");
}

TEST_CASE("syntax errors carry source:line:column", "[rdf][parser]") {
  Graph g;
  std::vector<ParseError> errors;
  mpli::Status st =
      parse_string("@prefix ex: <http://e/> .\nex:a ex:b ex:c .\nex:a ex:b \"open .\n", "doc.ttl",
                   g, {}, &errors);
  REQUIRE_FALSE(st.is_ok());
  REQUIRE_FALSE(errors.empty());
  CHECK(errors.front().line == 3);
  CHECK(errors.front().column > 0);
  CHECK(st.message().rfind("doc.ttl:3:", 0) == 0);
  CHECK(g.size() == 0);  // strict: nothing from the rejected document
}

TEST_CASE("lax mode keeps good statements and reports the bad ones", "[rdf][parser]") {
  Graph g;
  ParseOptions options;
  options.strict = false;
  std::vector<ParseError> warnings;
  mpli::Status st = parse_string(
      "<http://e/a> <http://e/b> <http://e/c> .\n<http://e/a> oops .\n"
      "<http://e/d> <http://e/b> <http://e/c> .\n",
      "lax.ttl", g, options, &warnings);
  CHECK(st.is_ok());
  CHECK_FALSE(warnings.empty());
  CHECK(warnings.front().line == 2);
  CHECK(g.size() >= 1);
}

TEST_CASE("undefined prefixes are errors with a position", "[rdf][parser]") {
  Graph g;
  std::vector<ParseError> errors;
  mpli::Status st = parse_string("@prefix ex: <http://e/> .\n\nex:a   foaf:knows ex:b .\n", "p.ttl",
                                 g, {}, &errors);
  REQUIRE_FALSE(st.is_ok());
  REQUIRE(errors.size() == 1);
  CHECK(errors[0].line == 3);
  CHECK(errors[0].column == 8);
  CHECK(errors[0].message.find("foaf:") != std::string::npos);
  CHECK(errors[0].to_string().rfind("p.ttl:3:8: undefined namespace prefix", 0) == 0);
}

TEST_CASE("missing files are NotFound", "[rdf][parser]") {
  Graph g;
  mpli::Status st = parse_file("/nonexistent/x.ttl", g);
  CHECK(st.code() == mpli::StatusCode::kNotFound);
}

TEST_CASE("N-Triples, N-Quads and TriG", "[rdf][parser]") {
  CHECK(parse_ok("<http://e/a> <http://e/b> \"x\"@en .\n", Syntax::kNTriples).size() == 1);
  CHECK(
      parse_ok("<http://e/a> <http://e/b> <http://e/c> <http://e/g> .\n", Syntax::kNQuads).size() ==
      1);
  CHECK(parse_ok("@prefix e: <http://e/> . e:g { e:a e:b e:c . } e:a e:b e:d .", Syntax::kTriG)
            .size() == 2);
  CHECK(syntax_from_path("x.nt") == Syntax::kNTriples);
  CHECK(syntax_from_path("x.trig") == Syntax::kTriG);
  CHECK_FALSE(syntax_from_path("x.json").has_value());
}

TEST_CASE("blank nodes from two documents stay distinct", "[rdf][parser]") {
  auto terms = std::make_shared<TermTable>();
  Graph g(terms);
  REQUIRE(parse_string("_:b1 <http://e/p> 1 .", "a", g).is_ok());
  REQUIRE(parse_string("_:b1 <http://e/p> 2 .", "b", g).is_ok());
  CHECK(g.with_predicate(terms->iri("http://e/p")).size() == 2);
  TermId s1 = g.triples().begin()[0].s;
  TermId s2 = g.triples().begin()[1].s;
  CHECK(s1 != s2);
}

TEST_CASE("pipelined parsing gives the same graph and errors", "[rdf][parser]") {
  const std::string doc = R"(@prefix ex: <http://example.org/> .
    @prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
    @base <http://example.org/base/> .
    <rel> ex:p "1"^^xsd:integer , "x"@EN-gb , "plain" ; ex:q [ ex:r ( 1 2 ) ] .
    ex:a ex:p _:b1 . _:b1 ex:p <../up> .
    )";
  auto run = [&](ParseOptions::Pipelining mode, const std::string& text,
                 std::vector<ParseError>* errors, mpli::Status* st) {
    Graph g;
    ParseOptions options;
    options.pipelining = mode;
    *st = parse_string(text, "p.ttl", g, options, errors);
    return to_ntriples(g);
  };
  mpli::Status st1, st2;
  std::vector<ParseError> e1, e2;
  std::string single = run(ParseOptions::Pipelining::kOff, doc, &e1, &st1);
  std::string piped = run(ParseOptions::Pipelining::kOn, doc, &e2, &st2);
  REQUIRE(st1.is_ok());
  REQUIRE(st2.is_ok());
  CHECK(single == piped);
  CHECK(piped.find("<http://example.org/up>") != std::string::npos);
  CHECK(piped.find("\"x\"@en-gb") != std::string::npos);

  std::string bad = doc + "ex:a nope:b ex:c .\n";
  run(ParseOptions::Pipelining::kOff, bad, &e1, &st1);
  std::string rejected = run(ParseOptions::Pipelining::kOn, bad, &e2, &st2);
  CHECK_FALSE(st2.is_ok());
  CHECK(rejected.empty());
  REQUIRE(e1.size() == 1);
  REQUIRE(e2.size() == 1);
  CHECK(e1[0].to_string() == e2[0].to_string());
}

TEST_CASE("stream input", "[rdf][parser]") {
  std::istringstream in("<http://e/a> <http://e/b> 1 .");
  Graph g;
  REQUIRE(parse_stream(in, "stdin", g).is_ok());
  CHECK(g.size() == 1);
}

TEST_CASE("Turtle and N-Triples round trip", "[rdf][serializer]") {
  Graph g = parse_ok(R"(@prefix ex: <http://example.org/> .
    ex:a ex:p [ ex:q "v"@en ; ex:r 5 ] ; ex:s "multi\nline", true ; a ex:C ;
      ex:l ( 1 [ ex:q 2 ] ex:b ) , () .
    [] ex:anon 1 .
    _:x ex:loop _:y . _:y ex:loop _:x .)");
  std::string ttl = to_turtle(g);
  CHECK(ttl.find("@prefix ex: <http://example.org/> .") != std::string::npos);
  CHECK(ttl.find("ex:a") != std::string::npos);
  CHECK(ttl.find("( 1 [") != std::string::npos);  // lists use collection syntax
  Graph back = parse_ok(ttl);
  INFO(ttl);
  CHECK(back.size() == g.size());
  CHECK(back.with_predicate(g.terms().iri("http://www.w3.org/1999/02/22-rdf-syntax-ns#first"))
            .size() == 3);
  Graph nt = parse_ok(to_ntriples(g), Syntax::kNTriples);
  CHECK(nt.size() == g.size());
}

TEST_CASE("numeric comparison across XSD types", "[rdf][literal]") {
  TermTable t;
  CHECK(compare_values(t, lit(t, "1", "integer"), lit(t, "1.0", "decimal")) == 0);
  CHECK(compare_values(t, lit(t, "2", "int"), lit(t, "1.5e0", "double")) == 1);
  CHECK(compare_values(t, lit(t, "-1", "short"), lit(t, "0.5", "float")) == -1);
  CHECK(compare_values(t, lit(t, "INF", "double"), lit(t, "1e308", "double")) == 1);
  CHECK_FALSE(compare_values(t, lit(t, "NaN", "double"), lit(t, "1", "integer")).has_value());
  CHECK_FALSE(compare_values(t, lit(t, "1", "integer"), t.literal("1")).has_value());
  CHECK_FALSE(compare_values(t, lit(t, "abc", "integer"), lit(t, "1", "integer")).has_value());
  CHECK(compare_values(t, t.literal("a"), t.literal("b")) == -1);
}

TEST_CASE("date and dateTime comparison", "[rdf][literal]") {
  TermTable t;
  CHECK(compare_values(t, lit(t, "2020-01-01", "date"), lit(t, "2020-01-02", "date")) == -1);
  CHECK(compare_values(t, lit(t, "2020-01-01T10:00:00Z", "dateTime"),
                       lit(t, "2020-01-01T12:00:00+02:00", "dateTime")) == 0);
  CHECK(compare_values(t, lit(t, "2020-01-01T10:00:00.5", "dateTime"),
                       lit(t, "2020-01-01T10:00:00", "dateTime")) == 1);
  CHECK_FALSE(compare_values(t, lit(t, "2020-01-01T10:00:00Z", "dateTime"),
                             lit(t, "2020-01-01T10:00:00", "dateTime"))
                  .has_value());
  CHECK_FALSE(
      compare_values(t, lit(t, "2020-01-01", "date"), lit(t, "2020-01-01T00:00:00", "dateTime"))
          .has_value());
}

TEST_CASE("ill-formed literals", "[rdf][literal]") {
  TermTable t;
  CHECK(is_well_formed(t, lit(t, "42", "integer")));
  CHECK_FALSE(is_well_formed(t, lit(t, "4.2", "integer")));
  CHECK_FALSE(is_well_formed(t, lit(t, "300", "byte")));
  CHECK(is_well_formed(t, lit(t, "-128", "byte")));
  CHECK_FALSE(is_well_formed(t, lit(t, "-1", "nonNegativeInteger")));
  CHECK_FALSE(is_well_formed(t, lit(t, "0", "positiveInteger")));
  const std::string big(70, '9');
  CHECK(is_well_formed(t, lit(t, big, "integer")));
  CHECK(is_well_formed(t, lit(t, big, "nonNegativeInteger")));
  CHECK_FALSE(is_well_formed(t, lit(t, big, "long")));
  CHECK_FALSE(is_well_formed(t, lit(t, "9223372036854775808", "long")));
  CHECK(is_well_formed(t, lit(t, "18446744073709551615", "unsignedLong")));
  CHECK(compare_values(t, lit(t, big, "integer"), lit(t, "1e300", "double")) == -1);
  CHECK(is_well_formed(t, lit(t, "1.5E3", "double")));
  CHECK_FALSE(is_well_formed(t, lit(t, "1.5E", "double")));
  CHECK(is_well_formed(t, lit(t, "true", "boolean")));
  CHECK_FALSE(is_well_formed(t, lit(t, "yes", "boolean")));
  CHECK(is_well_formed(t, lit(t, "2024-02-29", "date")));
  CHECK_FALSE(is_well_formed(t, lit(t, "2023-02-29", "date")));
  CHECK_FALSE(is_well_formed(t, lit(t, "2023-13-01T00:00:00", "dateTime")));
  CHECK(is_well_formed(t, t.literal("anything", t.iri("http://example.org/custom"))));
  CHECK_FALSE(is_well_formed(t, t.iri("http://example.org/x")));
}

TEST_CASE("language ranges and string length", "[rdf][literal]") {
  CHECK(lang_matches("en-US", "en"));
  CHECK(lang_matches("EN", "en"));
  CHECK_FALSE(lang_matches("eng", "en"));
  CHECK(lang_matches("de", "*"));
  CHECK_FALSE(lang_matches("", "*"));
  CHECK(utf8_length("h\xC3\xA9llo") == 5);
}

TEST_CASE("a cloned term table keeps every id and grows on its own") {
  auto terms = std::make_shared<mpli::rdf::TermTable>();
  mpli::rdf::TermId iri = terms->iri("https://w3id.org/mpli#Offering");
  mpli::rdf::TermId lit = terms->typed_literal("42", "http://www.w3.org/2001/XMLSchema#integer");
  mpli::rdf::TermId lang = terms->literal("Paris", mpli::rdf::kNoTerm, "fr");
  mpli::rdf::TermId blank = terms->blank("b0");
  auto copy = terms->clone();
  REQUIRE(copy->size() == terms->size());
  CHECK(copy->find_iri("https://w3id.org/mpli#Offering") == iri);
  CHECK(copy->to_ntriples(lit) == terms->to_ntriples(lit));
  CHECK(copy->to_ntriples(lang) == "\"Paris\"@fr");
  CHECK(copy->is_blank(blank));
  mpli::rdf::TermId added = copy->iri("urn:only-in-the-copy");
  CHECK(added == terms->size());
  CHECK(terms->find_iri("urn:only-in-the-copy") == mpli::rdf::kNoTerm);
}
