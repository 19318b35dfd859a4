// Unit tests for mpli::shacl: shape compilation (and rejection of ill-formed shapes), targets,
// every property path kind, each family of constraint components, and the RDF report.
#include <catch2/catch.hpp>
#include <map>

#include "libs/rdf/parser.h"
#include "libs/rdf/serializer.h"
#include "libs/shacl/report.h"
#include "libs/shacl/shapes.h"
#include "libs/shacl/validator.h"

using namespace mpli;
using shacl::Component;

namespace {

const std::string kPrefixes = R"(
@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix ex: <http://example.org/> .
)";

struct Run {
  rdf::TermTablePtr terms = std::make_shared<rdf::TermTable>();
  rdf::Graph data{terms};
  rdf::Graph shapes{terms};
  std::optional<shacl::ShapesProgram> program;
  shacl::ValidationReport report;

  Status compile(const std::string& data_ttl, const std::string& shapes_ttl) {
    MPLI_RETURN_IF_ERROR(rdf::parse_string(kPrefixes + data_ttl, "data.ttl", data));
    MPLI_RETURN_IF_ERROR(rdf::parse_string(kPrefixes + shapes_ttl, "shapes.ttl", shapes));
    auto compiled = shacl::compile_shapes(shapes);
    if (!compiled) return compiled.status();
    program = std::move(*compiled);
    return Status::ok();
  }

  // Number of results per component.
  std::map<Component, int> validate(const std::string& data_ttl, const std::string& shapes_ttl) {
    Status st = compile(data_ttl, shapes_ttl);
    INFO(st.message());
    REQUIRE(st.is_ok());
    shacl::Validator v(*program, data);
    report = v.validate();
    std::map<Component, int> counts;
    for (const auto& r : report.results) ++counts[r.component];
    return counts;
  }

  std::vector<std::string> values() const {
    std::vector<std::string> out;
    for (const auto& r : report.results) {
      out.push_back(r.value == rdf::kNoTerm ? "-" : std::string(terms->value(r.value)));
    }
    std::sort(out.begin(), out.end());
    return out;
  }
};

std::vector<std::string> path_values(const std::string& data, const std::string& path) {
  Run run;
  REQUIRE(run.compile(data, "ex:S sh:targetNode ex:a ; sh:path " + path + " .").is_ok());
  shacl::Validator v(*run.program, run.data);
  std::vector<rdf::TermId> out;
  v.evaluate_path(run.program->shapes.front().path, run.terms->iri("http://example.org/a"), &out);
  std::vector<std::string> names;
  for (auto id : out) names.emplace_back(run.terms->value(id).substr(19));
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace

TEST_CASE("property paths", "[shacl][path]") {
  const std::string data = "ex:a ex:p ex:b . ex:b ex:p ex:c . ex:c ex:q ex:d . ex:z ex:p ex:a .";
  using V = std::vector<std::string>;
  CHECK(path_values(data, "ex:p") == V{"b"});
  CHECK(path_values(data, "[ sh:inversePath ex:p ]") == V{"z"});
  CHECK(path_values(data, "( ex:p ex:p )") == V{"c"});
  CHECK(path_values(data, "( ex:p ex:p ex:q )") == V{"d"});
  CHECK(path_values(data, "[ sh:alternativePath ( ex:p [ sh:inversePath ex:p ] ) ]") ==
        V{"b", "z"});
  CHECK(path_values(data, "[ sh:zeroOrMorePath ex:p ]") == V{"a", "b", "c"});
  CHECK(path_values(data, "[ sh:oneOrMorePath ex:p ]") == V{"b", "c"});
  CHECK(path_values(data, "[ sh:zeroOrOnePath ex:p ]") == V{"a", "b"});
  CHECK(path_values(data, "( [ sh:oneOrMorePath ex:p ] ex:q )") == V{"d"});
  CHECK(path_values(data, "[ sh:inversePath ( ex:p ex:p ) ]").empty());
  CHECK(path_values("ex:x ex:p ex:y . ex:y ex:p ex:a .", "[ sh:inversePath ( ex:p ex:p ) ]") ==
        V{"x"});
  CHECK(path_values(data, "[ sh:inversePath [ sh:oneOrMorePath ex:p ] ]") == V{"z"});
}

TEST_CASE("long transitive paths", "[shacl][path]") {
  std::string data = "ex:a ex:next ex:n0 . ";
  for (int i = 0; i < 500; ++i) {
    data += "ex:n" + std::to_string(i) + " ex:next ex:n" + std::to_string(i + 1) + " . ";
  }
  data += "ex:n500 ex:next ex:a . ";  // a cycle back to the start
  CHECK(path_values(data, "[ sh:oneOrMorePath ex:next ]").size() == 502);
  CHECK(path_values(data, "[ sh:zeroOrMorePath ex:next ]").size() == 502);
  CHECK(path_values(data, "[ sh:inversePath [ sh:oneOrMorePath ex:next ] ]").size() == 502);
}

TEST_CASE("ill-formed shapes are rejected with a status", "[shacl][compile]") {
  Run run;
  CHECK_FALSE(
      run.compile("", "ex:S a sh:NodeShape ; sh:property [ sh:path ex:p ; sh:minCount \"x\" ] .")
          .is_ok());
  Run r2;
  Status st = r2.compile("", "ex:S a sh:PropertyShape ; sh:path [ ex:foo ex:bar ] .");
  CHECK_FALSE(st.is_ok());
  CHECK(st.message().find("ill-formed shape") != std::string::npos);
  Run r3;
  CHECK_FALSE(r3.compile("", "ex:S a sh:NodeShape ; sh:in ( 1 2 ) ; sh:in ex:notAList .").is_ok());
  Run r4;
  CHECK_FALSE(r4.compile("", "ex:S a sh:NodeShape ; sh:pattern \"(unclosed\" .").is_ok());
  Run r5;
  CHECK_FALSE(r5.compile("", "ex:S a sh:NodeShape ; sh:nodeKind ex:Other .").is_ok());
}

TEST_CASE("targets", "[shacl][targets]") {
  Run run;
  auto c = run.validate(R"(ex:a a ex:Sub . ex:Sub rdfs:subClassOf ex:C . ex:b a ex:C .
      ex:x ex:p ex:y . ex:n ex:other 1 .)",
                        R"(ex:S a sh:NodeShape ; sh:targetClass ex:C ; sh:targetSubjectsOf ex:p ;
      sh:targetObjectsOf ex:p ; sh:targetNode ex:lonely ; sh:nodeKind sh:Literal .
      ex:Implicit a rdfs:Class , sh:NodeShape ; sh:nodeKind sh:Literal .
      ex:n a ex:Implicit .)");
  // a, b (class), x (subjects), y (objects), lonely (node); n is not in the data graph as an
  // instance of ex:Implicit (the type triple is in the shapes graph).
  CHECK(c[Component::kNodeKind] == 5);
  Run run2;
  auto c2 = run2.validate("ex:n a ex:Implicit .",
                          "ex:Implicit a rdfs:Class , sh:NodeShape ; sh:nodeKind sh:Literal .");
  CHECK(c2[Component::kNodeKind] == 1);
}

TEST_CASE("value type constraints", "[shacl][components]") {
  Run run;
  auto c = run.validate(R"(ex:a ex:p ex:i , "s" , 5 , "x"^^xsd:integer , _:b .
      ex:i a ex:Sub . ex:Sub rdfs:subClassOf ex:C .)",
                        R"(ex:S sh:targetNode ex:a ; sh:property [ sh:path ex:p ; sh:class ex:C ] ;
      sh:property [ sh:path ex:p ; sh:datatype xsd:integer ] ;
      sh:property [ sh:path ex:p ; sh:nodeKind sh:BlankNodeOrIRI ] .)");
  CHECK(c[Component::kClass] == 4);     // everything but ex:i
  CHECK(c[Component::kDatatype] == 4);  // everything but 5 (the ill-formed "x" fails too)
  CHECK(c[Component::kNodeKind] == 3);  // the three literals
}

TEST_CASE("cardinality", "[shacl][components]") {
  Run run;
  auto c = run.validate("ex:a ex:p 1 , 2 , 3 . ex:b ex:q 1 .",
                        R"(ex:S sh:targetNode ex:a , ex:b ;
      sh:property [ sh:path ex:p ; sh:minCount 1 ; sh:maxCount 2 ] .)");
  CHECK(c[Component::kMinCount] == 1);  // ex:b
  CHECK(c[Component::kMaxCount] == 1);  // ex:a
}

TEST_CASE("value ranges across numeric types and dates", "[shacl][components]") {
  Run run;
  auto c = run.validate(R"(ex:a ex:p 1 , 5.5 , "10"^^xsd:double , "x" , "2020-01-01"^^xsd:date .)",
                        R"(ex:S sh:targetNode ex:a ; sh:property [ sh:path ex:p ;
      sh:minExclusive 1 ; sh:maxInclusive 10.0 ] .)");
  CHECK(c[Component::kMinExclusive] == 3);  // 1, "x", the date
  CHECK(c[Component::kMaxInclusive] == 2);  // "x", the date
  Run run2;
  auto c2 = run2.validate(R"(ex:a ex:d "2020-01-01"^^xsd:date , "2021-06-01"^^xsd:date .)",
                          R"(ex:S sh:targetNode ex:a ; sh:property [ sh:path ex:d ;
      sh:maxExclusive "2021-01-01"^^xsd:date ] .)");
  CHECK(c2[Component::kMaxExclusive] == 1);
}

TEST_CASE("string constraints", "[shacl][components]") {
  Run run;
  auto c = run.validate(R"(ex:a ex:p "abc" , "ABCD" , "hello"@en , "hallo"@de-AT , _:b .)",
                        R"(ex:S sh:targetNode ex:a ;
      sh:property [ sh:path ex:p ; sh:minLength 4 ] ;
      sh:property [ sh:path ex:p ; sh:pattern "^ab" ; sh:flags "i" ] ;
      sh:property [ sh:path ex:p ; sh:languageIn ( "de" ) ] ;
      sh:property [ sh:path ex:p ; sh:uniqueLang true ] .)");
  CHECK(c[Component::kMinLength] == 2);   // "abc", the blank node
  CHECK(c[Component::kPattern] == 3);     // hello, hallo, the blank node
  CHECK(c[Component::kLanguageIn] == 4);  // all but hallo@de-AT
  CHECK(c[Component::kUniqueLang] == 0);
  Run run2;
  auto c2 = run2.validate(
      R"(ex:a ex:p "a"@en , "b"@EN , "c"@fr .)",
      "ex:S sh:targetNode ex:a ; sh:property [ sh:path ex:p ; sh:uniqueLang true ] .");
  CHECK(c2[Component::kUniqueLang] == 1);
}

TEST_CASE("pattern flags follow XPath", "[shacl][components]") {
  Run run;
  auto c = run.validate(R"(ex:a ex:p "a.b" , "axb" , "line1\nEND" , "Hello World" .)",
                        R"(ex:S sh:targetNode ex:a ;
      sh:property [ sh:path ex:p ; sh:pattern "a.b" ; sh:flags "q" ] ;
      sh:property [ sh:path ex:p ; sh:pattern "^END" ; sh:flags "m" ] ;
      sh:property [ sh:path ex:p ; sh:pattern "1.E" ; sh:flags "s" ] ;
      sh:property [ sh:path ex:p ; sh:pattern "hello world" ; sh:flags "ix" ] .)");
  // q: only "a.b" matches; m: only the two-line value; s: only the two-line value;
  // ix: "helloworld" matches nothing (x drops the space), so all four fail.
  CHECK(c[Component::kPattern] == 3 + 3 + 3 + 4);
}

TEST_CASE("property pair constraints", "[shacl][components]") {
  Run run;
  auto c = run.validate("ex:a ex:p 1 , 2 ; ex:q 2 , 3 ; ex:r 2 ; ex:s 2 .",
                        R"(ex:S sh:targetNode ex:a ;
      sh:property [ sh:path ex:p ; sh:equals ex:q ] ;
      sh:property [ sh:path ex:p ; sh:disjoint ex:r ] ;
      sh:property [ sh:path ex:p ; sh:lessThan ex:s ] ;
      sh:property [ sh:path ex:p ; sh:lessThanOrEquals ex:s ] .)");
  CHECK(c[Component::kEquals] == 2);    // 1 (not in q), 3 (not in p)
  CHECK(c[Component::kDisjoint] == 1);  // 2
  CHECK(c[Component::kLessThan] == 1);  // 2 < 2 fails
  CHECK(c[Component::kLessThanOrEquals] == 0);
}

TEST_CASE("logical constraints and shape references", "[shacl][components]") {
  Run run;
  auto c = run.validate("ex:a ex:v 1 . ex:b ex:v 1 , 2 . ex:c ex:w 1 .",
                        R"(ex:One sh:path ex:v ; sh:minCount 1 .
      ex:Max1 sh:path ex:v ; sh:maxCount 1 .
      ex:S sh:targetNode ex:a , ex:b , ex:c ;
        sh:and ( ex:One ex:Max1 ) ; sh:or ( ex:One ex:Max1 ) ; sh:xone ( ex:One ex:Max1 ) ;
        sh:not ex:Max1 ; sh:node ex:One .)");
  CHECK(c[Component::kAnd] == 2);  // b (two values), c (none)
  CHECK(c[Component::kOr] == 0);
  CHECK(c[Component::kXone] == 1);            // a satisfies both
  CHECK(c[Component::kNot] == 2);             // a and c have at most one ex:v
  CHECK(c[Component::kNode] == 1);            // c
  CHECK(c.count(Component::kMinCount) == 0);  // nested results are not reported
}

TEST_CASE("qualified value shapes", "[shacl][components]") {
  Run run;
  auto c =
      run.validate(R"(ex:h ex:part ex:t1 , ex:f1 , ex:f2 . ex:t1 a ex:Thumb . ex:f1 a ex:Finger .
      ex:f2 a ex:Finger , ex:Thumb .)",
                   R"(ex:Hand sh:targetNode ex:h ;
      sh:property ex:ThumbP , ex:FingerP .
      ex:ThumbP sh:path ex:part ; sh:qualifiedValueShape [ sh:class ex:Thumb ] ;
        sh:qualifiedMinCount 1 ; sh:qualifiedMaxCount 1 ; sh:qualifiedValueShapesDisjoint true .
      ex:FingerP sh:path ex:part ; sh:qualifiedValueShape [ sh:class ex:Finger ] ;
        sh:qualifiedMinCount 2 ; sh:qualifiedValueShapesDisjoint true .)");
  CHECK(c[Component::kQualifiedMaxCount] == 0);  // f2 is excluded: it is also a Finger
  CHECK(c[Component::kQualifiedMinCount] == 1);  // only f1 is a Finger and not a Thumb
}

TEST_CASE("closed, hasValue and in", "[shacl][components]") {
  Run run;
  auto c = run.validate("ex:a ex:p 1 ; ex:q 2 ; a ex:T . ex:b ex:p 3 .",
                        R"(ex:S sh:targetNode ex:a , ex:b ; sh:closed true ;
      sh:ignoredProperties ( rdf:type ) ; sh:property [ sh:path ex:p ; sh:in ( 1 2 ) ] ;
      sh:property [ sh:path ex:p ; sh:hasValue 1 ] .)");
  CHECK(c[Component::kClosed] == 1);    // ex:a ex:q 2
  CHECK(c[Component::kIn] == 1);        // 3
  CHECK(c[Component::kHasValue] == 1);  // ex:b
  for (const auto& r : run.report.results) {
    if (r.component == Component::kClosed) {
      CHECK(run.terms->value(r.path_predicate) == "http://example.org/q");
      CHECK(run.terms->value(r.value) == "2");
      std::string message = shacl::describe(r, *run.program);
      CHECK(message.find("closed") != std::string::npos);
      CHECK(message.find("<http://example.org/q>") != std::string::npos);
    }
  }
}

TEST_CASE("deactivation, severity, messages and the RDF report", "[shacl][report]") {
  Run run;
  run.validate("ex:a ex:p 1 .", R"(ex:Off sh:targetNode ex:a ; sh:deactivated true ; sh:maxCount 0 ;
      sh:path ex:p .
      ex:Warn sh:targetNode ex:a ; sh:path ( ex:p ) ; sh:maxCount 0 ; sh:severity sh:Warning ;
      sh:message "too many"@en .
      ex:Inv sh:targetNode ex:a ; sh:path ( ex:p [ sh:inversePath ex:p ] ) ; sh:maxCount 0 .)");
  REQUIRE(run.report.results.size() == 2);
  CHECK_FALSE(run.report.conforms);
  rdf::Graph g = shacl::report_graph(run.report, *run.program);
  auto& t = *run.terms;
  auto sh = [&](const char* n) { return t.iri(std::string(shacl::kShNamespace) + n); };
  CHECK(g.with_predicate_object(sh("resultSeverity"), sh("Warning")).size() == 1);
  CHECK(g.with_predicate_object(sh("resultMessage"), t.literal("too many", rdf::kNoTerm, "en"))
            .size() == 1);
  CHECK(g.with_predicate_object(t.well_known().rdf_type, sh("ValidationResult")).size() == 2);
  CHECK(g.with_predicate_object(sh("conforms"), t.well_known().xsd_false).size() == 1);
  // The sequence path is rendered as an RDF list whose second member is [ sh:inversePath ex:p ].
  CHECK(g.with_predicate(sh("inversePath")).size() == 1);
  CHECK(g.with_predicate(t.well_known().rdf_first).size() == 2);
}

TEST_CASE("the Turtle report parses back to the same graph", "[shacl][report]") {
  Run run;
  run.validate("ex:a ex:p 1 , 2 .", R"(ex:S sh:targetNode ex:a ;
      sh:path [ sh:alternativePath ( ex:p ( ex:p [ sh:zeroOrMorePath ex:q ] ) ) ] ;
      sh:maxCount 1 ; sh:datatype xsd:string .)");
  REQUIRE(run.report.results.size() == 3);
  rdf::Graph g = shacl::report_graph(run.report, *run.program);
  rdf::PrefixList prefixes = shacl::report_prefixes();
  prefixes.insert(prefixes.end(), run.shapes.prefixes().begin(), run.shapes.prefixes().end());
  std::string ttl = rdf::to_turtle(g, prefixes);
  INFO(ttl);
  rdf::Graph back(run.terms);
  REQUIRE(rdf::parse_string(ttl, "report.ttl", back).is_ok());
  CHECK(back.size() == g.size());
  CHECK(ttl.find("sh:zeroOrMorePath ex:q") != std::string::npos);
}

TEST_CASE("JSON report", "[shacl][report]") {
  Run run;
  run.validate("ex:a ex:p \"x\" .", R"(ex:S sh:targetNode ex:a , ex:b ;
      sh:path [ sh:inversePath ex:q ] ; sh:minCount 1 ; sh:severity sh:Warning .
      ex:T sh:targetNode ex:a ; sh:path ex:p ; sh:datatype xsd:integer ; sh:message "not an integer" .)");
  nlohmann::json j = shacl::report_json(run.report, *run.program);
  CHECK(j["conforms"] == false);
  REQUIRE(j["results"].size() == 3);
  int warnings = 0;
  for (const auto& r : j["results"]) {
    CHECK(r.contains("focusNode"));
    CHECK(r.contains("sourceShape"));
    CHECK(r["resultMessage"].is_array());
    if (r["resultSeverity"] == "http://www.w3.org/ns/shacl#Warning") {
      ++warnings;
      CHECK(r["resultPath"] == "^<http://example.org/q>");
      CHECK_FALSE(r.contains("value"));
    } else {
      CHECK(r["value"] == "\"x\"");
      CHECK(r["resultMessage"][0] == "not an integer");
      CHECK(r["sourceConstraintComponent"] ==
            "http://www.w3.org/ns/shacl#DatatypeConstraintComponent");
    }
  }
  CHECK(warnings == 2);
}

TEST_CASE("graphs with different term tables are refused", "[shacl][api]") {
  Run run;
  REQUIRE(run.compile("", "ex:S sh:targetNode ex:a ; sh:nodeKind sh:IRI .").is_ok());
  rdf::Graph other;  // its own TermTable
  auto result = shacl::validate(*run.program, other);
  CHECK_FALSE(result.is_ok());
  auto same = shacl::validate(*run.program, run.data);
  REQUIRE(same.is_ok());
  CHECK(same->conforms);
}

TEST_CASE("recursive shapes terminate", "[shacl][components]") {
  Run run;
  auto c = run.validate(
      "ex:a ex:knows ex:b . ex:b ex:knows ex:a .",
      R"(ex:S sh:targetNode ex:a ; sh:property [ sh:path ex:knows ; sh:node ex:S ] .)");
  // Cut at the nesting limit, the loop is taken to conform (docs/shacl.md): no result at all.
  CHECK(c.empty());
  CHECK(run.report.conforms);

  // A node on the loop that breaks another constraint of the shape still fails it: exactly one
  // sh:node result, for ex:a (whose ex:knows is ex:b), and nothing reported about ex:b itself.
  Run broken;
  auto d = broken.validate("ex:a ex:knows ex:b ; ex:name \"a\" . ex:b ex:knows ex:a .",
                           R"(ex:S sh:targetNode ex:a ;
           sh:property [ sh:path ex:knows ; sh:node ex:S ] ;
           sh:property [ sh:path ex:name ; sh:minCount 1 ] .)");
  CHECK(d == std::map<Component, int>{{Component::kNode, 1}});
  REQUIRE(broken.report.results.size() == 1);
  CHECK(broken.terms->value(broken.report.results[0].focus) == "http://example.org/a");
  CHECK(broken.values() == std::vector<std::string>{"http://example.org/b"});
}

TEST_CASE("conforming data gives an empty report", "[shacl][report]") {
  Run run;
  auto c =
      run.validate("ex:a ex:p 1 .", "ex:S sh:targetNode ex:a ; sh:path ex:p ; sh:minCount 1 .");
  CHECK(c.empty());
  CHECK(run.report.conforms);
}
