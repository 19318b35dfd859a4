// Reads Turtle, TriG, N-Triples and N-Quads into a Graph with Serd. Every problem is reported as
// `source:line:column: message`; strict mode rejects the whole document and leaves the graph as it
// was.
#pragma once

#include <iosfwd>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "libs/core/status.h"
#include "libs/rdf/graph.h"

namespace mpli::rdf {

enum class Syntax { kTurtle, kTriG, kNTriples, kNQuads };

// Serd 0.30 reads nested collections '( ... )' and blank nodes '[ ... ]' by recursion, a chain
// of C stack frames per level: a 60 KB document nesting 20,000 levels deep overflows any
// thread's stack. 256 levels is far beyond real data (manifests and shapes nest fewer than 10)
// and costs Serd about 100 KiB of stack.
inline constexpr unsigned kDefaultMaxNestingDepth = 256;

// Guesses the syntax from a file name's extension (.ttl, .trig, .nt, .nq); nullopt if unknown.
std::optional<Syntax> syntax_from_path(std::string_view path);

// Where a node was written in the source text, 1-based (byte column).
struct SourcePosition {
  unsigned line = 0;
  unsigned column = 0;
};
// Each subject's position where it was first written (an IRI or `_:label` as written, or the
// '[' that opened a blank node), so reports can point a person at the node they must fix.
using NodePositions = std::unordered_map<TermId, SourcePosition>;

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
  // Turtle and TriG text is scanned before Serd reads it, and a document whose collections and
  // blank nodes nest deeper than this is rejected, in lax mode too, with an ordinary parse
  // error at the bracket that went too deep. N-Triples and N-Quads cannot nest.
  unsigned max_nesting_depth = kDefaultMaxNestingDepth;
  // When set, receives every subject's position (NodePositions). Costs a few percent of a
  // parse, on one thread (no pipelining); strict parsing only (a lax parse records none).
  NodePositions* node_positions = nullptr;
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
// `warnings` (optional) receives the errors seen, including those skipped in lax mode (the first
// 1000; the status message counts the rest). Input that cannot be read at all (a directory, a
// read error, a NUL byte, nesting beyond max_nesting_depth) is an error in lax mode too.
Status parse_file(const std::string& path, Graph& graph, const ParseOptions& options = {},
                  std::vector<ParseError>* warnings = nullptr);
Status parse_string(std::string_view text, std::string_view source_name, Graph& graph,
                    const ParseOptions& options = {}, std::vector<ParseError>* warnings = nullptr);
Status parse_stream(std::istream& in, std::string_view source_name, Graph& graph,
                    const ParseOptions& options = {}, std::vector<ParseError>* warnings = nullptr);

// The file:// IRI of a local path (made absolute), as Serd would write it.
std::string file_iri(const std::string& path);

}  // namespace mpli::rdf
