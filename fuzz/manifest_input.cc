#include "fuzz/manifest_input.h"

#include <cstdlib>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>

#include "libs/rdf/parser.h"
#include "libs/rdf/serializer.h"
#include "libs/shacl/report.h"
#include "libs/shacl/shapes.h"
#include "libs/shacl/validator.h"
#include "services/discovery/domain/manifest_check.h"
#include "services/resolver/domain/catalogue_index.h"
#include "services/resolver/domain/consumer_manifest.h"
#include "services/resolver/domain/resolution.h"

namespace mpli::fuzz {
namespace {

std::string manifest_shapes_text() {
  std::ifstream in(MPLI_SOURCE_DIR "/ontology/shapes/manifest.ttl");
  std::stringstream text;
  text << in.rdbuf();
  if (!in.good() && !in.eof()) std::abort();
  return text.str();
}

// Compiled once: a broken shapes file is a broken build, not a finding.
const discovery::ManifestChecker& checker() {
  static const std::shared_ptr<const discovery::ManifestChecker> instance = [] {
    auto loaded = discovery::ManifestChecker::from_text(manifest_shapes_text(), {},
                                                        discovery::builtin_kinds().value());
    if (!loaded) std::abort();
    return *loaded;
  }();
  return *instance;
}

const shacl::ShapesProgram& manifest_program() {
  static const shacl::ShapesProgram program = [] {
    rdf::Graph shapes;
    if (!rdf::parse_string(manifest_shapes_text(), "manifest-shapes", shapes).is_ok()) {
      std::abort();
    }
    auto compiled = shacl::compile_shapes(shapes);
    if (!compiled) std::abort();
    return std::move(compiled).value();
  }();
  return program;
}

std::string read_source(const std::string& path) {
  std::ifstream in(std::string(MPLI_SOURCE_DIR) + "/" + path);
  std::stringstream text;
  text << in.rdbuf();
  if (!in.good() && !in.eof()) std::abort();
  return text.str();
}

// The resolver with the three example providers indexed (no facts): every input is also tried
// as a consumer manifest, as POST /v1/resolutions would.
struct ResolverFixture {
  resolver::CatalogueIndex index;
  std::shared_ptr<const resolver::ConsumerManifestReader> reader;
  ResolverFixture() {
    auto created =
        resolver::ConsumerManifestReader::create(read_source("ontology/shapes/consumer.ttl"));
    if (!created) std::abort();
    reader = *created;
    for (const char* name : {"hexacloud-fr", "nordwolke-de", "polderstack-nl"}) {
      rdf::Graph graph;
      if (!rdf::parse_string(
               read_source(std::string("ontology/examples/provider-") + name + ".ttl"), name, graph)
               .is_ok()) {
        std::abort();
      }
      if (!index.put_provider(name, rdf::to_ntriples(graph)).is_ok()) std::abort();
    }
  }
};

void check_as_consumer_manifest(std::string_view bytes) {
  static ResolverFixture fixture;
  auto manifest = fixture.reader->read(bytes, fixture.index.terms());
  if (!manifest) return;
  resolver::ResolveOptions options;
  options.top_k = 5;
  options.max_search_nodes = 100000;
  (void)resolver::resolve(fixture.index, **manifest, {}, options).SerializeAsString();
}

// Parses what the Turtle writer made of a graph: it must read back to as many triples. Lax, as
// the graph came from a lax parse (an IRI with a space in it, say), which the writer keeps.
void check_reads_back(const std::string& turtle, size_t triples) {
  rdf::Graph reread;
  rdf::ParseOptions lax;
  lax.strict = false;
  if (!rdf::parse_string(turtle, "written.ttl", reread, lax).is_ok()) std::abort();
  if (reread.size() != triples) std::abort();
}

// Validates `data` (whose term table is a clone of the program's, or the program's own) and
// writes the report as JSON and as Turtle, as the hub and the CLI do.
void validate_and_write(const shacl::ShapesProgram& program, const rdf::Graph& data) {
  shacl::Validator validator(program, data);
  shacl::ValidationReport report = validator.validate();
  shacl::ShapesProgram reporting = program;
  reporting.terms = data.terms_ptr();  // results name data terms
  // A literal may hold bytes that are not UTF-8 (the lax parser keeps them): the JSON report
  // replaces them rather than throwing, as the CLI's does.
  (void)shacl::report_json(report, reporting)
      .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  rdf::Graph report_graph = shacl::report_graph(report, reporting);
  check_reads_back(rdf::to_turtle(report_graph, shacl::report_prefixes()), report_graph.size());
}

}  // namespace

void check_manifest_input(std::string_view bytes) {
  // As the resolver does with a consumer manifest: its shapes, its reading, a resolution.
  check_as_consumer_manifest(bytes);
  // As discovery does: strict parse, the manifest shapes, the catalogue's reading.
  (void)checker().check(bytes, "https://fuzz.example/.well-known/mpli.ttl");

  // Lax parsing (the CLI's --lax) keeps what it can of a broken document.
  const shacl::ShapesProgram& program = manifest_program();
  rdf::Graph data(program.terms->clone());
  rdf::ParseOptions lax;
  lax.strict = false;
  lax.base_iri = "https://fuzz.example/";
  std::vector<rdf::ParseError> warnings;
  if (!rdf::parse_string(bytes, "fuzz.ttl", data, lax, &warnings).is_ok()) return;

  check_reads_back(rdf::to_turtle(data), data.size());

  validate_and_write(program, data);

  // The input as a shapes graph: deep paths, chains of shapes, patterns, lists.
  auto own = shacl::compile_shapes(data);
  if (own) validate_and_write(*own, data);
}

}  // namespace mpli::fuzz
