// `mpli manifest check`: runs discovery's ManifestChecker (strict parse, the manifest shapes
// compiled into this binary from ontology/shapes/manifest.ttl, discovery's own reading) on a
// file, so a provider sees exactly what the hub would answer, before publishing.
#include "tools/mpli/manifest_command.h"

#include <fstream>
#include <iostream>
#include <optional>
#include <sstream>
#include <string>

#include "libs/rdf/parser.h"
#include "libs/shacl/report.h"
#include "libs/shacl/validator.h"
#include "services/discovery/domain/manifest_check.h"
#include "services/discovery/domain/manifest_owners.h"
#include "services/resolver/domain/consumer_manifest.h"
#include "tools/mpli/gaia_x_messages.h"
#include "tools/mpli/manifest_report.h"

namespace mpli::cli {

// ontology/shapes/manifest.ttl and ontology/templates/*.ttl, embedded at build time
// (mpli_embed_text).
const std::string& manifest_shapes();
const std::string& consumer_shapes();
const std::string& provider_template();
const std::string& consumer_template();

namespace {

constexpr int kExitAccepted = 0;
constexpr int kExitRefused = 1;
constexpr int kExitError = 2;

void usage(std::ostream& out) {
  out << "usage: mpli manifest check FILE [--json] [--gaia-x SHAPES]\n"
         "       mpli manifest init (--provider | --consumer) [FILE]\n"
         "  Checks a provider manifest exactly as the hub does when it is registered or\n"
         "  refreshed: strict Turtle, the manifest shapes, the catalogue's own reading. The\n"
         "  report groups what is wrong by provider and offering, each result with the line\n"
         "  and column of the node to fix and what to write instead. A consumer manifest (a\n"
         "  node typed mpli:ConsumerManifest) is checked as the resolver reads one.\n"
         "  FILE    the manifest (Turtle); - reads standard input. Relative IRIs resolve\n"
         "          against the file's @base, as for an upload.\n"
         "  --json  the report as JSON (violations in the form of the hub's 422 answers)\n"
         "  --gaia-x SHAPES  also validate against the Gaia-X 25.11 shapes in SHAPES (e.g.\n"
         "          ../shared/ontologies/gaia-x-25.11/gx.shacl.ttl), their results grouped the\n"
         "          same way with a message saying what the Gaia-X node needs; any violation\n"
         "          makes the exit status 1\n"
         "  init writes a commented starting manifest that conforms, the choices to make\n"
         "  marked CHOOSE, to FILE (never over an existing file) or to standard output.\n"
         "exit status: 0 the hub accepts it (warnings may be shown), 1 the hub refuses it,\n"
         "             2 bad usage or a file that cannot be read\n";
}

// A consumer manifest names a node typed mpli:ConsumerManifest; anything else, text that does
// not parse included, is checked as a provider manifest (whose report names the syntax error).
bool is_consumer_manifest(const std::string& text) {
  rdf::Graph graph;
  rdf::ParseOptions options;
  options.base_iri = "urn:mpli:upload";
  if (!rdf::parse_string(text, "upload", graph, options).is_ok()) return false;
  rdf::TermId consumer_manifest = graph.terms().find_iri("https://w3id.org/mpli#ConsumerManifest");
  return consumer_manifest != rdf::kNoTerm &&
         !graph.with_predicate_object(graph.terms().well_known().rdf_type, consumer_manifest)
              .empty();
}

// What the resolver answers for a consumer manifest, in the provider check's terms: its
// reasons (MANIFEST_SYNTAX, MANIFEST_SHAPE, MANIFEST_TOO_LARGE) share names with discovery's.
discovery::CheckOutcome check_consumer(const std::string& text, size_t* requirements) {
  auto reader = resolver::ConsumerManifestReader::create(consumer_shapes());
  if (!reader) {
    return discovery::ManifestProblem{
        discovery::v1::ERROR_REASON_UNSPECIFIED, reader.status().message(), 0, 0, {}, {}};
  }
  auto read = (*reader)->read(text, std::make_shared<rdf::TermTable>());
  if (read.is_ok()) {
    *requirements = (*read)->requirements.size();
    return discovery::AcceptedManifest{};
  }
  const Status& status = read.status();
  discovery::ManifestProblem problem;
  discovery::v1::ErrorReason reason = discovery::v1::ERROR_REASON_UNSPECIFIED;
  discovery::v1::ErrorReason_Parse(status.detail("reason"), &reason);
  problem.reason = reason;
  problem.message = status.message();
  if (!status.detail("line").empty()) {
    problem.line = static_cast<unsigned>(std::stoul(status.detail("line")));
    problem.column = static_cast<unsigned>(std::stoul(status.detail("column")));
  }
  problem.violations = status.violations();
  return problem;
}

Result<shacl::ShapesProgram> load_shapes(const std::string& file) {
  rdf::Graph shapes(std::make_shared<rdf::TermTable>());
  MPLI_RETURN_IF_ERROR(rdf::parse_file(file, shapes));
  return shacl::compile_shapes(shapes);
}

// The Gaia-X shapes over the manifest: each result with its node's position, its owner and,
// where the table has one, a message saying what to write (the engine's text kept after it).
// Nothing when the manifest does not parse: its report says so already.
std::optional<GaiaXResults> check_gaia_x(const std::string& text,
                                         const shacl::ShapesProgram& program,
                                         const std::string& shapes_file) {
  rdf::Graph manifest(program.terms);
  rdf::NodePositions positions;
  rdf::ParseOptions options;
  options.base_iri = "urn:mpli:upload";
  options.node_positions = &positions;
  if (!rdf::parse_string(text, "upload", manifest, options).is_ok()) return std::nullopt;
  auto report = shacl::validate(program, manifest);
  if (!report) return std::nullopt;
  GaiaXResults results;
  results.shapes_file = shapes_file;
  results.violations = shacl::report_violations(*report, program, &positions);
  results.owners = discovery::assign_owners(manifest, positions, results.violations);
  for (Violation& v : results.violations) {
    std::string friendly = gaia_x_message(v);
    if (!friendly.empty()) v.message = friendly + " (" + v.message + ")";
  }
  return results;
}

bool read_input(const std::string& file, std::string* text) {
  std::stringstream buffer;
  if (file == "-") {
    buffer << std::cin.rdbuf();
  } else {
    std::ifstream in(file, std::ios::binary);
    if (!in) return false;
    buffer << in.rdbuf();
    if (in.bad()) return false;
  }
  *text = buffer.str();
  return true;
}

int run_init(int argc, char** argv) {
  const std::string* text = nullptr;
  std::string file;
  for (int i = 2; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--provider" && text == nullptr) {
      text = &provider_template();
    } else if (arg == "--consumer" && text == nullptr) {
      text = &consumer_template();
    } else if (!arg.empty() && arg[0] != '-' && file.empty()) {
      file = arg;
    } else {
      std::cerr << "error: unexpected argument '" << arg << "'\n";
      usage(std::cerr);
      return kExitError;
    }
  }
  if (text == nullptr) {
    std::cerr << "error: say which manifest to start: --provider or --consumer\n";
    usage(std::cerr);
    return kExitError;
  }
  if (file.empty()) {
    std::cout << *text;
    return kExitAccepted;
  }
  if (std::ifstream(file).good()) {
    std::cerr << "error: " << file << " exists; init does not overwrite a file\n";
    return kExitError;
  }
  std::ofstream out(file, std::ios::binary);
  out << *text;
  out.close();
  if (!out) {
    std::cerr << "error: cannot write " << file << "\n";
    return kExitError;
  }
  std::cout << "wrote " << file << ": replace the values marked CHOOSE, then `mpli manifest "
            << "check " << file << "`\n";
  return kExitAccepted;
}

}  // namespace

int run_manifest_command(int argc, char** argv) {
  std::string command = argc >= 2 ? argv[1] : "";
  if (command == "--help" || command == "-h" || command == "help") {
    usage(std::cout);
    return kExitAccepted;
  }
  if (command == "init") return run_init(argc, argv);
  if (command != "check") {
    if (!command.empty()) std::cerr << "error: unknown command 'manifest " << command << "'\n";
    usage(std::cerr);
    return kExitError;
  }
  std::string file;
  std::string gaia_x_shapes;
  bool json = false;
  for (int i = 2; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--json") {
      json = true;
    } else if (arg == "--gaia-x" && i + 1 < argc) {
      gaia_x_shapes = argv[++i];
    } else if (arg == "--help" || arg == "-h") {
      usage(std::cout);
      return kExitAccepted;
    } else if ((arg.empty() || arg[0] != '-' || arg == "-") && file.empty()) {
      file = arg;
    } else {
      std::cerr << "error: unexpected argument '" << arg << "'\n";
      usage(std::cerr);
      return kExitError;
    }
  }
  if (file.empty()) {
    std::cerr << "error: name the manifest file to check\n";
    usage(std::cerr);
    return kExitError;
  }
  std::string text;
  if (!read_input(file, &text)) {
    std::cerr << "error: cannot read " << file << "\n";
    return kExitError;
  }
  discovery::CheckOutcome outcome;
  size_t requirements = 0;
  bool consumer = is_consumer_manifest(text);
  if (consumer) {
    outcome = check_consumer(text, &requirements);
  } else {
    auto checker = discovery::ManifestChecker::from_text(manifest_shapes(), {},
                                                         discovery::builtin_kinds().value());
    if (!checker) {
      std::cerr << "error: " << checker.status().message() << "\n";
      return kExitError;
    }
    // "upload" as the source: the hub reads an uploaded manifest against its own @base only.
    outcome = (*checker)->check(text, "upload");
  }
  bool accepted = std::holds_alternative<discovery::AcceptedManifest>(outcome);
  std::optional<GaiaXResults> gaia_x;
  if (!gaia_x_shapes.empty()) {
    auto program = load_shapes(gaia_x_shapes);
    if (!program) {
      std::cerr << "error: --gaia-x: " << program.status().message() << "\n";
      return kExitError;
    }
    gaia_x = check_gaia_x(text, *program, gaia_x_shapes);
  }
  nlohmann::json report = consumer && accepted ? consumer_accepted_json(file, requirements)
                                               : manifest_report_json(file, outcome);
  if (json) {
    if (gaia_x) report["gaia_x"] = gaia_x_report_json(*gaia_x);
    std::cout << report.dump(2) << "\n";
  } else {
    if (consumer && accepted) {
      std::cout << file << ": the hub accepts this consumer manifest: " << requirements
                << " requirement(s)\n";
    } else {
      std::cout << manifest_report_text(file, outcome);
    }
    if (gaia_x) std::cout << gaia_x_report_text(file, *gaia_x);
  }
  bool gaia_x_conforms = !gaia_x || gaia_x->conforms();
  return accepted && gaia_x_conforms ? kExitAccepted : kExitRefused;
}

}  // namespace mpli::cli
