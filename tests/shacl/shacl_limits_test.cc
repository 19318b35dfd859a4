// Hostile shapes and data for the SHACL engine: chains of shapes, paths and lists far deeper than
// any real shapes graph, shared path nodes that would expand exponentially, regular expressions
// against huge values and expressions that std::regex cannot compile within a stack. Each is
// either handled without recursion or refused with a status; none may crash.
#include <catch2/catch.hpp>

#include "libs/rdf/parser.h"
#include "libs/rdf/serializer.h"
#include "libs/shacl/report.h"
#include "libs/shacl/shapes.h"
#include "libs/shacl/validator.h"

using namespace mpli;

namespace {

const std::string kPrefixes = R"(@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix ex: <http://example.org/> .
)";

struct Engine {
  rdf::TermTablePtr terms = std::make_shared<rdf::TermTable>();
  rdf::Graph data{terms};
  rdf::Graph shapes{terms};

  Result<shacl::ShapesProgram> compile(const std::string& shapes_ttl) {
    Status st = rdf::parse_string(kPrefixes + shapes_ttl, "shapes.ttl", shapes);
    if (!st.is_ok()) return st;
    return shacl::compile_shapes(shapes);
  }
  shacl::ValidationReport validate(const shacl::ShapesProgram& program,
                                   const std::string& data_ttl) {
    Status st = rdf::parse_string(kPrefixes + data_ttl, "data.ttl", data);
    INFO(st.message());
    REQUIRE(st.is_ok());
    auto report = shacl::validate(program, data);
    REQUIRE(report.is_ok());
    return *report;
  }
};

// ex:S0 refers to ex:S1 through `link` (e.g. "sh:node ex:S"), ex:S1 to ex:S2, ... ex:S<n-1> to
// ex:S<n>: n references in a row, one statement each, so the shapes text itself is flat.
std::string shape_chain(int n, const std::string& link, const std::string& last) {
  std::string text = "ex:S0 sh:targetNode ex:a .\n";
  for (int i = 0; i < n; ++i) {
    std::string next = "ex:S" + std::to_string(i + 1);
    std::string object = link;
    object.replace(object.find("ex:S"), 4, next);
    text += "ex:S" + std::to_string(i) + " " + object + " .\n";
  }
  return text + "ex:S" + std::to_string(n) + " " + last + " .\n";
}

std::string nesting_error(int index) {
  return "ill-formed shape <http://example.org/S" + std::to_string(index) +
         ">: shapes nest more than 64 levels deep through sh:node, sh:property, sh:and, "
         "sh:or, sh:xone, sh:not or sh:qualifiedValueShape";
}

}  // namespace

TEST_CASE("a chain of 20,000 shapes is refused, not walked by recursion", "[shacl][limits]") {
  for (const char* link :
       {"sh:node ex:S", "sh:and ( ex:S )", "sh:or ( ex:S )", "sh:not ex:S", "sh:xone ( ex:S )"}) {
    INFO(link);
    Engine engine;
    auto program = engine.compile(shape_chain(20000, link, "sh:nodeKind sh:IRI"));
    REQUIRE_FALSE(program.is_ok());
    CHECK(program.status().message() == nesting_error(20000 - 65));
  }
  Engine property;
  auto program = property.compile(
      shape_chain(20000, "sh:property [ sh:path ex:p ; sh:node ex:S ]", "sh:nodeKind sh:IRI"));
  REQUIRE_FALSE(program.is_ok());
  CHECK(program.status().message().find("shapes nest more than 64 levels deep") !=
        std::string::npos);
}

TEST_CASE("a chain of 64 shapes is validated to its end, 65 is refused", "[shacl][limits]") {
  // The last shape fails for ex:a; every shape above it must fail too. Before the limit was
  // checked at compile time, a chain past the validator's depth silently conformed.
  Engine engine;
  auto program = engine.compile(shape_chain(64, "sh:node ex:S", "sh:nodeKind sh:Literal"));
  INFO(program.status().message());
  REQUIRE(program.is_ok());
  shacl::ValidationReport report = engine.validate(*program, "ex:a ex:p 1 .");
  CHECK_FALSE(report.conforms);
  REQUIRE(report.results.size() == 1);
  CHECK(report.results[0].component == shacl::Component::kNode);

  Engine longer;
  auto refused = longer.compile(shape_chain(65, "sh:node ex:S", "sh:nodeKind sh:Literal"));
  REQUIRE_FALSE(refused.is_ok());
  CHECK(refused.status().message() == nesting_error(0));
}

TEST_CASE("recursive shapes over 20,000 linked nodes terminate", "[shacl][limits]") {
  Engine engine;
  auto program =
      engine.compile("ex:S sh:targetNode ex:n0 ; sh:property [ sh:path ex:next ; sh:node ex:S ] .");
  REQUIRE(program.is_ok());
  std::string data;
  for (int i = 0; i < 20000; ++i) {
    data += "ex:n" + std::to_string(i) + " ex:next ex:n" + std::to_string(i + 1) + " .\n";
  }
  shacl::ValidationReport report = engine.validate(*program, data);
  CHECK(report.conforms);  // recursion is cut at kMaxShapeNesting and taken to conform
}

TEST_CASE("paths: deep nesting and exponential sharing are refused", "[shacl][limits]") {
  // 20,000 nested inverse paths, written flat so the parser's own limit does not apply.
  std::string deep = "ex:S sh:targetNode ex:a ; sh:path _:p0 .\n";
  for (int i = 0; i < 20000; ++i) {
    deep += "_:p" + std::to_string(i) + " sh:inversePath _:p" + std::to_string(i + 1) + " .\n";
  }
  deep += "_:p20000 sh:inversePath ex:p .\n";
  Engine engine;
  auto program = engine.compile(deep);
  REQUIRE_FALSE(program.is_ok());
  CHECK(program.status().message() ==
        "ill-formed shape <http://example.org/S>: sh:path nests more than 64 levels deep (a "
        "cycle?)");

  // Each alternative lists the next one twice: 2^40 paths if expanded.
  std::string shared = "ex:S sh:targetNode ex:a ; sh:path _:a0 .\n";
  for (int i = 0; i < 40; ++i) {
    std::string next = "_:a" + std::to_string(i + 1);
    shared += "_:a" + std::to_string(i) + " sh:alternativePath ( " + next + " " + next + " ) .\n";
  }
  shared += "_:a40 sh:inversePath ex:p .\n";
  Engine exponential;
  auto refused = exponential.compile(shared);
  REQUIRE_FALSE(refused.is_ok());
  CHECK(refused.status().message() ==
        "ill-formed shape <http://example.org/S>: sh:path has more than 10000 steps");
}

TEST_CASE("long lists are read without recursion", "[shacl][limits]") {
  std::string members;
  for (int i = 0; i < 100000; ++i) members += " ex:v" + std::to_string(i);
  Engine engine;
  auto program = engine.compile("ex:S sh:targetNode ex:v99999 , ex:w ; sh:in (" + members + " ) .");
  REQUIRE(program.is_ok());
  shacl::ValidationReport report = engine.validate(*program, "");
  REQUIRE(report.results.size() == 1);
  CHECK(engine.terms->value(report.results[0].focus) == "http://example.org/w");
}

TEST_CASE("sh:pattern on values of 200,000 characters", "[shacl][limits]") {
  // The manifest shapes' domain pattern: std::regex's backtracking matcher recursed once per
  // character and overflowed an 8 MiB stack at about 30,000 characters.
  Engine engine;
  auto program = engine.compile(R"(ex:S sh:targetSubjectsOf ex:domain ;
    sh:property [ sh:path ex:domain ;
                  sh:pattern "^([a-z0-9]([a-z0-9-]*[a-z0-9])?\\.)+[a-z]{2,}$" ] .)");
  REQUIRE(program.is_ok());
  std::string long_name(200000, 'a');
  shacl::ValidationReport report =
      engine.validate(*program, "ex:bad ex:domain \"" + long_name + "\" .\nex:good ex:domain \"" +
                                    long_name + ".example\" .\n");
  REQUIRE(report.results.size() == 1);
  CHECK(engine.terms->value(report.results[0].focus) == "http://example.org/bad");
  CHECK(report.results[0].component == shacl::Component::kPattern);
}

TEST_CASE("sh:pattern expressions std::regex cannot handle are refused", "[shacl][limits]") {
  auto compile_pattern = [](const std::string& pattern) {
    Engine engine;
    auto program = engine.compile("ex:S sh:targetNode ex:a ; sh:pattern \"" + pattern + "\" .");
    return program.is_ok() ? std::string("ok") : program.status().message();
  };
  const std::string prefix = "ill-formed shape <http://example.org/S>: sh:pattern ";
  CHECK(compile_pattern("^[a-z0-9][a-z0-9-]{1,62}$") == "ok");
  CHECK(compile_pattern("(a?){3000}") == "ok");
  CHECK(compile_pattern("((a?){100}){100}") ==
        prefix + "repeats to more than 10000 elements (counted repetitions {n,m} are expanded)");
  CHECK(compile_pattern("a{20000}") ==
        prefix + "repeats to more than 10000 elements (counted repetitions {n,m} are expanded)");
  CHECK(compile_pattern(std::string(32, '(') + "a" + std::string(32, ')')) == "ok");
  CHECK(compile_pattern(std::string(33, '(') + "a" + std::string(33, ')')) ==
        prefix + "nests groups more than 32 deep");
  CHECK(compile_pattern(std::string(5000, 'a')) == prefix + "is longer than 4096 characters");
  CHECK(compile_pattern("(a)\\\\1") == prefix + "back-references are not supported");
}

TEST_CASE("reports and Turtle output of deep but allowed structures", "[shacl][limits]") {
  // A property path nested 64 levels (the limit) in a result: written as SHACL path RDF, as
  // text and as Turtle, all by recursion bounded by the path's depth.
  std::string path = "ex:p";
  for (int i = 0; i < 64; ++i) path = "[ sh:inversePath " + path + " ]";
  Engine engine;
  auto program = engine.compile("ex:S sh:targetNode ex:a ; sh:path " + path + " ; sh:minCount 1 .");
  INFO(program.status().message());
  REQUIRE(program.is_ok());
  shacl::ValidationReport report = engine.validate(*program, "ex:b ex:p ex:c .");
  REQUIRE(report.results.size() == 1);
  nlohmann::json json = shacl::report_json(report, *program);
  CHECK(json["results"][0]["resultPath"].get<std::string>().size() > 64);
  rdf::Graph graph = shacl::report_graph(report, *program);
  std::string turtle = rdf::to_turtle(graph, shacl::report_prefixes());
  rdf::Graph back;
  Status st = rdf::parse_string(turtle, "report.ttl", back);
  INFO(st.message());
  REQUIRE(st.is_ok());
  CHECK(back.size() == graph.size());

  // A chain of 100,000 blank nodes and a list of 100,000 members, made without the parser: the
  // writer inlines at most 32 levels and labels the rest, so what it writes parses back.
  rdf::Graph chain;
  rdf::TermTable& terms = chain.terms();
  rdf::TermId p = terms.iri("http://example.org/p");
  rdf::TermId node = terms.iri("http://example.org/s");
  for (int i = 0; i < 100000; ++i) {
    rdf::TermId next = terms.fresh_blank();
    chain.add(node, p, next);
    node = next;
  }
  rdf::TermId head = terms.well_known().rdf_nil;
  for (int i = 0; i < 100000; ++i) {
    rdf::TermId cell = terms.fresh_blank();
    chain.add(cell, terms.well_known().rdf_first, terms.literal(std::to_string(i)));
    chain.add(cell, terms.well_known().rdf_rest, head);
    head = cell;
  }
  chain.add(terms.iri("http://example.org/s"), terms.iri("http://example.org/list"), head);
  std::string written = rdf::to_turtle(chain);
  rdf::Graph reread;
  Status reparsed = rdf::parse_string(written, "chain.ttl", reread);
  INFO(reparsed.message());
  REQUIRE(reparsed.is_ok());
  CHECK(reread.size() == chain.size());
}
