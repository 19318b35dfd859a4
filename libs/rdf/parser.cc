#include "libs/rdf/parser.h"

#include <cctype>
#include <cstdarg>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <istream>
#include <sstream>

#include "libs/rdf/serd_handles.h"

namespace mpli::rdf {
namespace {

std::string_view node_text(const SerdNode* node) {
  return {reinterpret_cast<const char*>(node->buf), node->n_bytes};
}

SerdSyntax to_serd(Syntax s) {
  switch (s) {
    case Syntax::kTurtle: return SERD_TURTLE;
    case Syntax::kTriG: return SERD_TRIG;
    case Syntax::kNTriples: return SERD_NTRIPLES;
    case Syntax::kNQuads: return SERD_NQUADS;
  }
  return SERD_TURTLE;
}

bool is_absolute_iri(std::string_view s) {
  if (s.empty() || !std::isalpha(static_cast<unsigned char>(s[0]))) return false;
  for (size_t i = 1; i < s.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c == ':') return true;
    if (!std::isalnum(c) && c != '+' && c != '-' && c != '.') return false;
  }
  return false;
}

// A tiny direct-mapped cache from term text to id. Interning costs a few cache misses in a
// table of millions of terms; the same subject repeats across consecutive statements and a
// handful of predicates, classes and datatypes make up most of the rest, so this cache turns
// most lookups into one comparison against hot memory.
class RecentTerms {
 public:
  TermId find(std::string_view text) const {
    const Slot& s = slots_[slot(text)];
    return (s.id != kNoTerm && s.text == text) ? s.id : kNoTerm;
  }
  void remember(std::string_view text, TermId id) {
    if (text.size() > 256) return;
    Slot& s = slots_[slot(text)];
    s.text.assign(text.data(), text.size());
    s.id = id;
  }

 private:
  static constexpr size_t kSlots = 256;
  struct Slot {
    std::string text;
    TermId id = kNoTerm;
  };
  static size_t slot(std::string_view t) {
    if (t.empty()) return 0;
    size_t h = t.size() * 131 + static_cast<unsigned char>(t.back()) * 31 +
               static_cast<unsigned char>(t[t.size() / 2]) * 7 +
               static_cast<unsigned char>(t[t.size() - 1 - t.size() / 4]);
    return h % kSlots;
  }
  Slot slots_[kSlots];
};

// Everything the Serd callbacks need. The callbacks are C functions: they catch every exception
// and turn it into a recorded error plus a Serd status, so nothing unwinds through Serd.
struct ParseContext {
  TermTable* terms = nullptr;
  SerdEnv* env = nullptr;
  std::string source;
  Graph* graph = nullptr;
  RecentTerms recent_iris;
  RecentTerms recent_blanks;
  std::vector<std::pair<std::string, std::string>> prefixes;
  std::vector<ParseError> errors;
  // CURIEs with an undefined prefix; their position is found afterwards in the source text.
  std::vector<std::string> bad_curies;
};

// Returns kNoTerm (and records an error) when the node cannot be resolved.
TermId to_term(ParseContext& ctx, const SerdNode* node, const SerdNode* datatype,
               const SerdNode* lang) {
  switch (node->type) {
    case SERD_URI: {
      // Absolute IRIs (all of N-Triples, most of Turtle) need no resolution against the base;
      // skipping serd_env_expand_node avoids a URI parse and a heap node per term.
      std::string_view text = node_text(node);
      if (is_absolute_iri(text)) {
        TermId id = ctx.recent_iris.find(text);
        if (id == kNoTerm) {
          id = ctx.terms->iri(text);
          ctx.recent_iris.remember(text, id);
        }
        return id;
      }
      serd::OwnedNode expanded(serd_env_expand_node(ctx.env, node));
      if (expanded.empty()) return ctx.terms->iri(node_text(node));
      return ctx.terms->iri(node_text(&expanded.get()));
    }
    case SERD_CURIE: {
      SerdChunk prefix{nullptr, 0};
      SerdChunk suffix{nullptr, 0};
      if (serd_env_expand(ctx.env, node, &prefix, &suffix) != SERD_SUCCESS) {
        ctx.bad_curies.emplace_back(node_text(node));
        return kNoTerm;
      }
      std::string iri(reinterpret_cast<const char*>(prefix.buf), prefix.len);
      iri.append(reinterpret_cast<const char*>(suffix.buf), suffix.len);
      return ctx.terms->iri(iri);
    }
    case SERD_BLANK: {
      std::string_view text = node_text(node);
      TermId id = ctx.recent_blanks.find(text);
      if (id == kNoTerm) {
        id = ctx.terms->blank(text);
        ctx.recent_blanks.remember(text, id);
      }
      return id;
    }
    case SERD_LITERAL: {
      TermId dt = kNoTerm;
      if (datatype != nullptr && datatype->buf != nullptr) {
        dt = to_term(ctx, datatype, nullptr, nullptr);
        if (dt == kNoTerm) return kNoTerm;
      }
      std::string_view lg = (lang != nullptr && lang->buf != nullptr) ? node_text(lang) : "";
      return ctx.terms->literal(node_text(node), dt, lg);
    }
    default:
      ctx.errors.push_back({ctx.source, 0, 0, "unexpected node type"});
      return kNoTerm;
  }
}

SerdStatus on_base(void* handle, const SerdNode* uri) {
  auto* ctx = static_cast<ParseContext*>(handle);
  return serd_env_set_base_uri(ctx->env, uri);
}

SerdStatus on_prefix(void* handle, const SerdNode* name, const SerdNode* uri) {
  auto* ctx = static_cast<ParseContext*>(handle);
  try {
    SerdStatus st = serd_env_set_prefix(ctx->env, name, uri);
    if (st != SERD_SUCCESS) return st;
    serd::OwnedNode expanded(serd_env_expand_node(ctx->env, uri));
    std::string_view iri = expanded.empty() ? node_text(uri) : node_text(&expanded.get());
    ctx->prefixes.emplace_back(std::string(node_text(name)), std::string(iri));
    return SERD_SUCCESS;
  } catch (...) {
    ctx->errors.push_back({ctx->source, 0, 0, "out of memory"});
    return SERD_ERR_INTERNAL;
  }
}

SerdStatus on_statement(void* handle, SerdStatementFlags /*flags*/, const SerdNode* /*graph*/,
                        const SerdNode* subject, const SerdNode* predicate,
                        const SerdNode* object, const SerdNode* object_datatype,
                        const SerdNode* object_lang) {
  auto* ctx = static_cast<ParseContext*>(handle);
  try {
    TermId s = to_term(*ctx, subject, nullptr, nullptr);
    TermId p = to_term(*ctx, predicate, nullptr, nullptr);
    TermId o = to_term(*ctx, object, object_datatype, object_lang);
    if (s == kNoTerm || p == kNoTerm || o == kNoTerm) return SERD_ERR_BAD_CURIE;
    ctx->graph->add(s, p, o);
    return SERD_SUCCESS;
  } catch (...) {
    ctx->errors.push_back({ctx->source, 0, 0, "out of memory"});
    return SERD_ERR_INTERNAL;
  }
}

SerdStatus on_error(void* handle, const SerdError* error) {
  auto* ctx = static_cast<ParseContext*>(handle);
  try {
    char buf[512];
    va_list args;
    va_copy(args, *error->args);
    int n = std::vsnprintf(buf, sizeof buf, error->fmt, args);
    va_end(args);
    std::string message = n > 0 ? std::string(buf) : std::string("syntax error");
    while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) {
      message.pop_back();
    }
    ctx->errors.push_back({ctx->source, error->line, error->col, std::move(message)});
  } catch (...) {
    // Nothing sensible to do without memory; the returned status still fails the parse.
  }
  return SERD_SUCCESS;
}

std::string read_all(std::istream& in) {
  std::string text;
  char buf[1 << 16];
  while (in.read(buf, sizeof buf) || in.gcount() > 0) {
    text.append(buf, static_cast<size_t>(in.gcount()));
  }
  return text;
}

// Line and column (1-based) of the first occurrence of `needle` in `text` that sits on a token
// boundary, or {0, 0}.
std::pair<unsigned, unsigned> locate(std::string_view text, std::string_view needle) {
  size_t pos = 0;
  while ((pos = text.find(needle, pos)) != std::string_view::npos) {
    bool boundary = pos == 0 || std::isspace(static_cast<unsigned char>(text[pos - 1])) ||
                    text[pos - 1] == '(' || text[pos - 1] == '[' || text[pos - 1] == ';' ||
                    text[pos - 1] == ',' || text[pos - 1] == '^';
    if (boundary) break;
    pos += 1;
  }
  if (pos == std::string_view::npos) return {0, 0};
  unsigned line = 1;
  size_t line_start = 0;
  for (size_t i = 0; i < pos; ++i) {
    if (text[i] == '\n') {
      ++line;
      line_start = i + 1;
    }
  }
  return {line, static_cast<unsigned>(pos - line_start + 1)};
}

Status run_reader(ParseContext& ctx, const ParseOptions& options, Graph& graph,
                  std::vector<ParseError>* warnings,
                  SerdStatus (*read)(SerdReader*, const void*), const void* arg,
                  std::string_view text_for_positions, const std::string& path_for_positions) {
  std::string base = options.base_iri;
  SerdNode base_node = serd_node_from_string(
      SERD_URI, reinterpret_cast<const uint8_t*>(base.c_str()));
  serd::EnvPtr env(serd_env_new(base.empty() ? nullptr : &base_node));
  if (!env) return internal_error("serd_env_new failed");
  ctx.env = env.get();
  ctx.terms = &graph.terms();
  ctx.graph = &graph;
  // Triples go straight into the graph's append buffer; a rejected document is rolled back.
  size_t mark = graph.append_mark();

  serd::ReaderPtr reader(serd_reader_new(to_serd(options.syntax), &ctx, nullptr, on_base,
                                         on_prefix, on_statement, nullptr));
  if (!reader) return internal_error("serd_reader_new failed");
  serd_reader_set_error_sink(reader.get(), on_error, &ctx);
  serd_reader_set_strict(reader.get(), options.strict);
  std::string blank_prefix = graph.terms().fresh_blank_prefix();
  serd_reader_add_blank_prefix(reader.get(), reinterpret_cast<const uint8_t*>(blank_prefix.c_str()));

  SerdStatus st = read(reader.get(), arg);

  if (!ctx.bad_curies.empty()) {
    std::string file_text;
    if (text_for_positions.empty() && !path_for_positions.empty()) {
      std::ifstream in(path_for_positions, std::ios::binary);
      file_text = read_all(in);
      text_for_positions = file_text;
    }
    for (const std::string& curie : ctx.bad_curies) {
      auto [line, col] = locate(text_for_positions, curie);
      std::string prefix = curie.substr(0, curie.find(':'));
      ctx.errors.push_back({ctx.source, line, col,
                            "undefined namespace prefix '" + prefix + ":' in '" + curie + "'"});
    }
  }
  if (ctx.errors.empty() && st > SERD_FAILURE) {
    ctx.errors.push_back({ctx.source, 0, 0,
                          std::string("read failed: ") +
                              reinterpret_cast<const char*>(serd_strerror(st))});
  }
  if (warnings) warnings->insert(warnings->end(), ctx.errors.begin(), ctx.errors.end());
  if (options.strict && !ctx.errors.empty()) {
    std::string message = ctx.errors.front().to_string();
    if (ctx.errors.size() > 1) {
      message += " (and " + std::to_string(ctx.errors.size() - 1) + " more)";
    }
    graph.rollback(mark);
    return invalid_argument(message);
  }
  for (auto& [name, iri] : ctx.prefixes) graph.set_prefix(name, iri);
  return Status::ok();
}

}  // namespace

std::string ParseError::to_string() const {
  return source + ":" + std::to_string(line) + ":" + std::to_string(column) + ": " + message;
}

std::optional<Syntax> syntax_from_path(std::string_view path) {
  auto ends_with = [&](std::string_view suffix) {
    return path.size() >= suffix.size() && path.substr(path.size() - suffix.size()) == suffix;
  };
  if (ends_with(".ttl") || ends_with(".turtle")) return Syntax::kTurtle;
  if (ends_with(".trig")) return Syntax::kTriG;
  if (ends_with(".nt")) return Syntax::kNTriples;
  if (ends_with(".nq")) return Syntax::kNQuads;
  return std::nullopt;
}

std::string file_iri(const std::string& path) {
  std::error_code ec;
  std::filesystem::path abs = std::filesystem::absolute(path, ec);
  std::string p = ec ? path : abs.lexically_normal().string();
  SerdNode node = serd_node_new_file_uri(reinterpret_cast<const uint8_t*>(p.c_str()), nullptr,
                                         nullptr, true);
  serd::OwnedNode owned(node);
  return std::string(node_text(&owned.get()));
}

Status parse_file(const std::string& path, Graph& graph, const ParseOptions& options,
                  std::vector<ParseError>* warnings) {
  struct FileCloser {
    void operator()(FILE* f) const { std::fclose(f); }
  };
  std::unique_ptr<FILE, FileCloser> file(std::fopen(path.c_str(), "rb"));
  if (!file) return not_found(path + ": cannot open file");
  ParseContext ctx;
  ctx.source = path;
  ParseOptions opts = options;
  if (opts.base_iri.empty()) opts.base_iri = file_iri(path);
  struct Arg {
    FILE* file;
    const std::string* name;
  } arg{file.get(), &path};
  auto read = [](SerdReader* r, const void* a) {
    const auto* args = static_cast<const Arg*>(a);
    return serd_reader_read_file_handle(r, args->file,
                                        reinterpret_cast<const uint8_t*>(args->name->c_str()));
  };
  return run_reader(ctx, opts, graph, warnings, read, &arg, {}, path);
}

Status parse_string(std::string_view text, std::string_view source_name, Graph& graph,
                    const ParseOptions& options, std::vector<ParseError>* warnings) {
  ParseContext ctx;
  ctx.source = std::string(source_name);
  std::string copy(text);  // Serd wants a NUL-terminated buffer
  auto read = [](SerdReader* r, const void* a) {
    return serd_reader_read_string(r, reinterpret_cast<const uint8_t*>(
                                          static_cast<const std::string*>(a)->c_str()));
  };
  return run_reader(ctx, options, graph, warnings, read, &copy, copy, {});
}

Status parse_stream(std::istream& in, std::string_view source_name, Graph& graph,
                    const ParseOptions& options, std::vector<ParseError>* warnings) {
  std::string text = read_all(in);
  if (in.bad()) return unavailable(std::string(source_name) + ": read error");
  return parse_string(text, source_name, graph, options, warnings);
}

}  // namespace mpli::rdf
