// Hostile RDF text: nesting deep enough to overflow Serd's recursive reader, the tricks that hide
// brackets from a naive pre-scan but not from Serd, and inputs Serd cannot read at all. Each is
// refused with a parse error that names the line and column; none may crash or hang.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "libs/rdf/nesting_scanner.h"
#include "libs/rdf/parser.h"
#include "libs/rdf/serializer.h"

using namespace mpli::rdf;

namespace {

const std::string kHeader = "@prefix : <http://example.org/> .\n";
const std::string kSubject = ":s :p ";  // the first opener of line 2 is column 7

std::string nested_collections(int levels) {
  std::string text = kHeader + kSubject;
  text.append(static_cast<size_t>(levels), '(');
  text.append(static_cast<size_t>(levels), ')');
  return text + " .\n";
}

std::string nested_blank_nodes(int levels) {
  std::string text = kHeader + kSubject;
  for (int i = 0; i < levels; ++i) text += "[:p ";
  text += ":o";
  text.append(static_cast<size_t>(levels), ']');
  return text + " .\n";
}

std::string too_deep(const std::string& source, int line, int column) {
  return source + ":" + std::to_string(line) + ":" + std::to_string(column) +
         ": collections '(' and blank nodes '[' nest more than 256 levels deep";
}

struct Parsed {
  mpli::Status status;
  std::vector<ParseError> errors;
  size_t triples = 0;
};

Parsed parse(const std::string& text, bool strict = true, Syntax syntax = Syntax::kTurtle) {
  Graph graph;
  ParseOptions options;
  options.strict = strict;
  options.syntax = syntax;
  Parsed out;
  out.status = parse_string(text, "doc.ttl", graph, options, &out.errors);
  out.triples = graph.size();
  return out;
}

// A temporary file removed when the object goes.
class TempFile {
 public:
  explicit TempFile(const std::string& text) {
    char name[] = "/tmp/mpli-rdf-nesting-XXXXXX";
    int fd = mkstemp(name);
    REQUIRE(fd >= 0);
    close(fd);
    path_ = name;
    std::ofstream(path_, std::ios::binary) << text;
  }
  ~TempFile() { std::filesystem::remove(path_); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace

TEST_CASE("20,000 nested collections are a parse error at the 257th opening bracket",
          "[rdf][nesting]") {
  for (bool strict : {true, false}) {
    INFO("strict " << strict);
    Parsed p = parse(nested_collections(20000), strict);
    REQUIRE_FALSE(p.status.is_ok());
    CHECK(p.status.code() == mpli::StatusCode::kInvalidArgument);
    CHECK(p.status.message() == too_deep("doc.ttl", 2, 7 + 256));
    REQUIRE(p.errors.size() == 1);
    CHECK(p.errors[0].line == 2);
    CHECK(p.errors[0].column == 7 + 256);
    CHECK(p.triples == 0);
  }
}

TEST_CASE("20,000 nested blank nodes are a parse error at the 257th opening bracket",
          "[rdf][nesting]") {
  for (bool strict : {true, false}) {
    INFO("strict " << strict);
    Parsed p = parse(nested_blank_nodes(20000), strict);
    REQUIRE_FALSE(p.status.is_ok());
    CHECK(p.status.message() == too_deep("doc.ttl", 2, 7 + 256 * 4));
    REQUIRE(p.errors.size() == 1);
    CHECK(p.errors[0].column == 7 + 256 * 4);
  }
  Parsed trig =
      parse("<http://example.org/g> { " + nested_blank_nodes(20000).substr(kHeader.size()) + " }",
            true, Syntax::kTriG);
  CHECK(trig.status.message().find("nest more than 256 levels deep") != std::string::npos);
}

TEST_CASE("nesting up to the limit parses, one level more does not", "[rdf][nesting]") {
  Parsed collections = parse(nested_collections(256));
  INFO(collections.status.message());
  CHECK(collections.status.is_ok());
  // :s :p _:l1, then rdf:first and rdf:rest for every level but the innermost, () = rdf:nil
  CHECK(collections.triples == 1 + 2 * 255);
  Parsed blank_nodes = parse(nested_blank_nodes(256));
  CHECK(blank_nodes.status.is_ok());
  CHECK(blank_nodes.triples == 257);

  CHECK(parse(nested_collections(257)).status.message() == too_deep("doc.ttl", 2, 7 + 256));
  CHECK(parse(nested_blank_nodes(257)).status.message() == too_deep("doc.ttl", 2, 7 + 256 * 4));

  // The limit is an option; a lower one refuses earlier.
  Graph graph;
  ParseOptions options;
  options.max_nesting_depth = 3;
  mpli::Status st = parse_string(nested_collections(4), "doc.ttl", graph, options);
  CHECK(st.message() ==
        "doc.ttl:2:10: collections '(' and blank nodes '[' nest more than 3 levels deep");
  // Closed brackets give their depth back: many shallow collections are fine.
  std::string many = kHeader;
  for (int i = 0; i < 2000; ++i) many += ":s :p ( ( [ :q ( 1 ) ] ) ) .\n";
  CHECK(parse(many).status.is_ok());
}

TEST_CASE("brackets in strings, IRIs, comments and escaped names do not count", "[rdf][nesting]") {
  const std::string brackets(3000, '(');
  const std::string squares(3000, '[');
  std::string text = kHeader;
  text += ":s :p \"" + brackets + squares + "\" .\n";
  text += ":s :p '" + brackets + "' .\n";
  text += ":s :p \"\"\"" + brackets + "\n" + squares + "\"\"\" .\n";
  text += ":s :p '''" + squares + "\n''' .\n";
  text += ":s :p <http://example.org/" + brackets + "> .\n";
  text += "# " + brackets + squares + "\n";
  text += ":s :p :a\\(\\(\\(\\( .\n";
  text += ":s :p \"\\\"(\\\\\" .\n";  // escaped quote and backslash inside a short string
  Parsed p = parse(text);
  INFO(p.status.message());
  CHECK(p.status.is_ok());
  CHECK(p.triples == 7);
}

TEST_CASE("brackets a naive scan would take for string content are counted", "[rdf][nesting]") {
  const std::string deep = ":q " + std::string(20000, '(') + std::string(20000, ')') + " .\n";

  // An invalid escape stops Serd in front of ']', which closes the blank node; the rest of the
  // line is read as Turtle, not as the rest of the string.
  Parsed escape = parse(kHeader + ":s :p [ :r \"\\] ; " + deep);
  CHECK(escape.status.message().find("nest more than 256 levels deep") != std::string::npos);

  // Serd ends a long string at the first """ after any lone quote, even one followed by a
  // backslash: """a"\""" is the string a"\ and what follows is Turtle.
  Parsed quote = parse(kHeader + ":s :p \"\"\"a\"\\\"\"\" ; " + deep);
  CHECK(quote.status.message().find("nest more than 256 levels deep") != std::string::npos);

  // Strict Serd stops at a bad UTF-8 byte in a string, and can resume in front of ']'.
  Parsed utf8 = parse(kHeader + ":s :p [ :r \"\xC3] ; " + deep);
  CHECK(utf8.status.message().find("nest more than 256 levels deep") != std::string::npos);
}

TEST_CASE("lax mode counts every line as a possible fresh start", "[rdf][nesting]") {
  // Lax Serd skips the rest of a bad line (and the long string it opens) and reads the next
  // line as a new statement.
  std::string text = kHeader + ":s oops \"\"\"\n" + kSubject + std::string(20000, '(') +
                     std::string(20000, ')') + " .\n\"\"\" .\n";
  Parsed lax = parse(text, false);
  CHECK(lax.status.message() == too_deep("doc.ttl", 3, 7 + 256));
  // Strict Serd stops at the first error, so the string is all it could have read.
  Parsed strict = parse(text, true);
  CHECK_FALSE(strict.status.is_ok());
  CHECK(strict.status.message().find("doc.ttl:2:") == 0);
}

TEST_CASE("input Serd cannot read at all is refused, never a hang", "[rdf][nesting]") {
  // Lax Serd would read an IRI open at the end of the input forever.
  Parsed open_iri = parse("<http://e/a> <http://e/b> <http://e/c", false);
  CHECK(open_iri.status.message() == "doc.ttl:1:38: IRI still open at the end of the input");
  CHECK_FALSE(parse("<http://e/a> <http://e/b> <http://e/c", true).status.is_ok());

  // Lax Serd skips a bad statement to the next line end, and looked for one forever when the
  // text had none after the error.
  for (const char* text : {"<http://e/a> oops", "@", "<http://e/a> <http://e/b> \"x\" . ["}) {
    INFO(text);
    Parsed last_line = parse(text, false);
    CHECK(last_line.status.is_ok());
    CHECK_FALSE(last_line.errors.empty());
  }

  // Serd stops reading a string at a NUL byte and would drop what follows.
  std::string with_nul = "<http://e/a> <http://e/b> <http://e/c> .\n<http://e/a> <http://e/b> ";
  with_nul += std::string(1, '\0') + "\"x\" .\n";
  CHECK(parse(with_nul).status.message() == "doc.ttl:2:27: NUL byte in the input");
  CHECK(parse(with_nul, false).status.message() == "doc.ttl:2:27: NUL byte in the input");
}

TEST_CASE("control characters are written as escapes and read back", "[rdf][nesting]") {
  // A raw NUL in written N-Triples or Turtle ends the text for Serd.
  Graph graph;
  REQUIRE(parse_string("<http://e/a> <http://e/b> \"x\\u0000y\\u0007\\u001Fz\" .", "doc.ttl", graph)
              .is_ok());
  std::string written = to_ntriples(graph);
  CHECK(written == "<http://e/a> <http://e/b> \"x\\u0000y\\u0007\\u001Fz\" .\n");
  Graph back;
  REQUIRE(parse_string(written, "written.nt", back, {Syntax::kNTriples, "", true}).is_ok());
  REQUIRE(back.size() == 1);
  CHECK(back.terms().value(back.triples().begin()->o) == std::string_view("x\0y\x07\x1Fz", 6));
}

TEST_CASE("N-Triples cannot nest: deep brackets are a plain syntax error", "[rdf][nesting]") {
  std::string text = "<http://e/s> <http://e/p> " + std::string(20000, '(') + " .\n";
  Parsed p = parse(text, true, Syntax::kNTriples);
  CHECK_FALSE(p.status.is_ok());
  CHECK(p.status.message().find("nest more than") == std::string::npos);
  std::string subject = std::string(20000, '[') + "<http://e/p> <http://e/o> .\n";
  CHECK_FALSE(parse(subject, true, Syntax::kNQuads).status.is_ok());
}

TEST_CASE("files: deep nesting, directories and pieces read separately", "[rdf][nesting]") {
  // 80 KB: the scanner reads the file in 64 KiB pieces, so the error lies in the second one.
  std::string deep = nested_blank_nodes(20000);
  REQUIRE(deep.size() > (1u << 16));
  std::string late = kHeader + std::string(70000, '\n') + nested_collections(300);
  for (const std::string& text : {deep, late}) {
    TempFile file(text);
    Graph graph;
    std::vector<ParseError> errors;
    mpli::Status st = parse_file(file.path(), graph, {}, &errors);
    REQUIRE_FALSE(st.is_ok());
    REQUIRE(errors.size() == 1);
    CHECK(errors[0].source == file.path());
    CHECK(st.message().find("nest more than 256 levels deep") != std::string::npos);
    CHECK(graph.size() == 0);
  }
  {
    TempFile file(late);
    Graph graph;
    std::vector<ParseError> errors;
    REQUIRE_FALSE(parse_file(file.path(), graph, {}, &errors).is_ok());
    CHECK(errors[0].line == 70003);
    CHECK(errors[0].column == 7 + 256);
  }
  TempFile fine(nested_collections(10));
  Graph graph;
  CHECK(parse_file(fine.path(), graph).is_ok());
  CHECK(graph.size() == 19);

  // fopen() opens a directory; reading it fails, in lax mode too.
  for (bool strict : {true, false}) {
    ParseOptions options;
    options.strict = strict;
    mpli::Status dir = parse_file("/tmp", graph, options);
    CHECK(dir.code() == mpli::StatusCode::kInvalidArgument);
    CHECK(dir.message() == "/tmp: is a directory, not an RDF file");
  }
}

TEST_CASE("the scanner gives the same answer fed byte by byte", "[rdf][nesting]") {
  std::string text =
      kHeader + ":s :p \"\"\"((\"\"\" , <x(> , [ :q ( # ((\n" + std::string(300, '(') + " ) ] .\n";
  NestingScanner whole(256, false);
  CHECK_FALSE(whole.feed(text));
  NestingScanner bytes(256, false);
  bool ok = true;
  for (char c : text) ok = ok && bytes.feed(std::string_view(&c, 1));
  CHECK_FALSE(ok);
  REQUIRE(whole.problem().has_value());
  REQUIRE(bytes.problem().has_value());
  CHECK(whole.problem()->line == 3);
  CHECK(whole.problem()->column == 255);  // 2 levels on line 2, then the 255th '(' of line 3
  CHECK(bytes.problem()->line == whole.problem()->line);
  CHECK(bytes.problem()->column == whole.problem()->column);
}
