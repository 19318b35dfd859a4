// Reads Turtle, TriG, N-Triples and N-Quads into a Graph with Serd. Every problem is reported as
// `source:line:column: message`; strict mode rejects the whole document and leaves the graph as it was.
#pragma once

#include <iosfwd>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "libs/core/status.h"
#include "libs/rdf/graph.h"

namespace mpli::rdf {

enum class Syntax { kTurtle, kTriG, kNTriples, kNQuads };

// Guesses the syntax from a file name's extension (.ttl, .trig, .nt, .nq); nullopt if unknown.
std::optional<Syntax> syntax_from_path(std::string_view path);

struct ParseOptions {
  Syntax syntax = Syntax::kTurtle;
  // Base IRI for relative references; files default to their own file:// IRI.
  std::string base_iri;
  // Strict: any error (syntax, undefined prefix) rejects the document and adds nothing. Lax:
  // bad statements are skipped, the rest is kept and the errors are returned as warnings.
  bool strict = true;
  // Large inputs are parsed on two threads: Serd tokenises on the caller's thread while a
  // second thread interns terms and fills the graph. kAuto does so for inputs of 4 MiB or
  // more when the load average says a core is idle.
  enum class Pipelining { kAuto, kOff, kOn };
  Pipelining pipelining = Pipelining::kAuto;
};

struct ParseError {
  std::string source;
  unsigned line = 0;
  unsigned column = 0;
  std::string message;
  // "source:line:column: message"
  std::string to_string() const;
};

// Named graphs of TriG/N-Quads are merged into `graph` (the graph name is dropped).
// `warnings` (optional) receives every error seen, including those skipped in lax mode.
Status parse_file(const std::string& path, Graph& graph, const ParseOptions& options = {},
                  std::vector<ParseError>* warnings = nullptr);
Status parse_string(std::string_view text, std::string_view source_name, Graph& graph,
                    const ParseOptions& options = {},
                    std::vector<ParseError>* warnings = nullptr);
Status parse_stream(std::istream& in, std::string_view source_name, Graph& graph,
                    const ParseOptions& options = {},
                    std::vector<ParseError>* warnings = nullptr);

// The file:// IRI of a local path (made absolute), as Serd would write it.
std::string file_iri(const std::string& path);

}  // namespace mpli::rdf
