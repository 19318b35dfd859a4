// `mpli shacl validate`: loads data and shapes files, validates, prints a report.
#include "tools/mpli/shacl_command.h"

#include <iostream>
#include <string>
#include <vector>

#include "libs/rdf/parser.h"
#include "libs/rdf/serializer.h"
#include "libs/shacl/report.h"
#include "libs/shacl/shapes.h"
#include "libs/shacl/validator.h"

namespace mpli::cli {
namespace {

constexpr int kExitConforms = 0;
constexpr int kExitViolations = 1;
constexpr int kExitError = 2;

void usage(std::ostream& out) {
  out << "usage: mpli shacl validate --data FILE [--data FILE ...] --shapes FILE "
         "[--shapes FILE ...]\n"
         "                           [--report turtle|json|summary] [--lax]\n"
         "  Validates the data files against the shapes files (SHACL Core). The syntax comes\n"
         "  from the extension: .ttl Turtle, .trig TriG, .nt N-Triples, .nq N-Quads; Turtle\n"
         "  otherwise. A file is read as strictly as the hub reads a manifest: any syntax error\n"
         "  or undefined prefix rejects it (file:line:column: message on stderr, exit 2).\n"
         "  --report  turtle (default): the SHACL validation report; json; summary: one line\n"
         "            conforms=<true|false> results=<N>\n"
         "  --lax     skip bad statements with a warning and validate the rest. A file that\n"
         "            cannot be read at all (a directory, nesting deeper than 256) is still\n"
         "            an error\n"
         "  --strict  the default; accepted for older scripts\n"
         "exit status: 0 conforms, 1 does not conform, 2 error (unreadable, unparsable or\n"
         "             ill-formed input, bad usage)\n";
}

// Loads every file into `graph`; prints parse problems as `file:line:col: message`.
bool load(const std::vector<std::string>& files, bool strict, rdf::Graph& graph) {
  for (const std::string& file : files) {
    rdf::ParseOptions options;
    options.strict = strict;
    options.syntax = rdf::syntax_from_path(file).value_or(rdf::Syntax::kTurtle);
    std::vector<rdf::ParseError> problems;
    Status st = rdf::parse_file(file, graph, options, &problems);
    if (!st.is_ok()) {
      if (problems.empty()) std::cerr << "error: " << st.message() << "\n";
      for (const rdf::ParseError& e : problems) std::cerr << "error: " << e.to_string() << "\n";
      return false;
    }
    for (const rdf::ParseError& e : problems) std::cerr << "warning: " << e.to_string() << "\n";
  }
  return true;
}

}  // namespace

int run_shacl_command(int argc, char** argv) {
  std::string command = argc >= 2 ? argv[1] : "";
  if (command == "--help" || command == "-h" || command == "help") {
    usage(std::cout);
    return kExitConforms;
  }
  if (command != "validate") {
    if (!command.empty()) std::cerr << "error: unknown command 'shacl " << command << "'\n";
    usage(std::cerr);
    return kExitError;
  }
  std::vector<std::string> data_files;
  std::vector<std::string> shape_files;
  std::string format = "turtle";
  bool strict = true;  // as the hub reads manifests: what it would refuse is no success here
  for (int i = 2; i < argc; ++i) {
    std::string arg = argv[i];
    auto value = [&](std::string* out) {
      if (i + 1 >= argc) return false;
      *out = argv[++i];
      return true;
    };
    std::string v;
    if (arg == "--data" && value(&v)) {
      data_files.push_back(v);
    } else if (arg == "--shapes" && value(&v)) {
      shape_files.push_back(v);
    } else if (arg == "--report" && value(&v)) {
      format = v;
    } else if (arg == "--strict") {
      strict = true;
    } else if (arg == "--lax") {
      strict = false;
    } else if (arg == "--help" || arg == "-h") {
      usage(std::cout);
      return kExitConforms;
    } else {
      std::cerr << "error: unknown or incomplete argument '" << arg << "'\n";
      usage(std::cerr);
      return kExitError;
    }
  }
  if (data_files.empty() || shape_files.empty()) {
    std::cerr << "error: at least one --data and one --shapes file are required\n";
    usage(std::cerr);
    return kExitError;
  }
  if (format != "turtle" && format != "json" && format != "summary") {
    std::cerr << "error: --report must be turtle, json or summary\n";
    return kExitError;
  }

  auto terms = std::make_shared<rdf::TermTable>();
  rdf::Graph data(terms);
  rdf::Graph shapes(terms);
  if (!load(data_files, strict, data) || !load(shape_files, strict, shapes)) return kExitError;

  Result<shacl::ShapesProgram> program = shacl::compile_shapes(shapes);
  if (!program) {
    std::cerr << "error: " << program.status().message() << "\n";
    return kExitError;
  }
  Result<shacl::ValidationReport> validated = shacl::validate(*program, data);
  if (!validated) {
    std::cerr << "error: " << validated.status().message() << "\n";
    return kExitError;
  }
  const shacl::ValidationReport& report = *validated;

  if (format == "summary") {
    std::cout << "conforms=" << (report.conforms ? "true" : "false")
              << " results=" << report.results.size() << "\n";
  } else if (format == "json") {
    // Bytes that are not UTF-8 in a literal are replaced (U+FFFD), not a crash.
    std::cout << shacl::report_json(report, *program)
                     .dump(2, ' ', false, nlohmann::json::error_handler_t::replace)
              << "\n";
  } else {
    rdf::Graph graph = shacl::report_graph(report, *program);
    rdf::PrefixList prefixes = shacl::report_prefixes();
    for (const auto& p : shapes.prefixes()) prefixes.push_back(p);
    rdf::write_turtle(graph, std::cout, prefixes);
  }
  // A report that did not reach its reader (a full disk, a closed pipe) is no answer.
  if (!std::cout.flush()) {
    std::cerr << "error: cannot write the report to standard output\n";
    return kExitError;
  }
  return report.conforms ? kExitConforms : kExitViolations;
}

}  // namespace mpli::cli
