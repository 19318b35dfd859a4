#include "libs/rdf/parser.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <condition_variable>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <filesystem>
#include <fstream>
#include <istream>
#include <mutex>
#include <optional>
#include <system_error>
#include <thread>

#include "libs/rdf/nesting_scanner.h"
#include "libs/rdf/serd_handles.h"

namespace mpli::rdf {
namespace {

// Errors kept per parse: lax mode on a large broken file would otherwise keep one string per bad
// statement. The ones beyond are counted.
constexpr size_t kMaxRecordedErrors = 1000;
constexpr size_t kMaxLocatedCuries = 100;

std::string_view node_text(const SerdNode* node) {
  return {reinterpret_cast<const char*>(node->buf), node->n_bytes};
}

SerdSyntax to_serd(Syntax s) {
  switch (s) {
    case Syntax::kTurtle:
      return SERD_TURTLE;
    case Syntax::kTriG:
      return SERD_TRIG;
    case Syntax::kNTriples:
      return SERD_NTRIPLES;
    case Syntax::kNQuads:
      return SERD_NQUADS;
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
  void clear() {
    for (Slot& s : slots_) s.id = kNoTerm;
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

// Hands statements from the Serd thread to an interning thread in batches of resolved text
// (IRIs already expanded), so tokenising and interning run on two cores. Only the worker
// touches the TermTable and the Graph while a parse is running.
class Pipeline {
 public:
  enum NodeKind : uint8_t { kIriNode, kBlankNode, kLiteralNode };

  explicit Pipeline(Graph& graph) : graph_(graph), worker_([this] { run(); }) {}
  Pipeline(const Pipeline&) = delete;
  Pipeline& operator=(const Pipeline&) = delete;
  ~Pipeline() { finish(); }

  std::string& batch() { return current_; }
  void statement_done() {
    if (++statements_ >= kBatchStatements) flush();
  }
  // Waits for the worker; true when every batch was interned.
  bool finish() {
    if (worker_.joinable()) {
      flush();
      {
        std::lock_guard<std::mutex> lock(mutex_);
        done_ = true;
      }
      ready_.notify_all();
      worker_.join();
    }
    return !failed_;
  }

  static void put_u32(std::string& out, size_t v) {
    uint32_t x = static_cast<uint32_t>(v);
    out.append(reinterpret_cast<const char*>(&x), sizeof x);
  }

 private:
  static constexpr size_t kBatchStatements = 4096;
  static constexpr size_t kMaxQueued = 8;

  void flush() {
    if (statements_ == 0) return;
    std::unique_lock<std::mutex> lock(mutex_);
    space_.wait(lock, [&] { return queue_.size() < kMaxQueued; });
    queue_.push_back(std::move(current_));
    current_.clear();
    if (!spare_.empty()) {
      current_ = std::move(spare_.back());
      spare_.pop_back();
      current_.clear();
    }
    statements_ = 0;
    lock.unlock();
    ready_.notify_one();
  }

  void run() {
    while (true) {
      std::string bytes;
      {
        std::unique_lock<std::mutex> lock(mutex_);
        ready_.wait(lock, [&] { return done_ || !queue_.empty(); });
        if (queue_.empty()) return;
        bytes = std::move(queue_.front());
        queue_.pop_front();
      }
      space_.notify_one();
      if (!failed_) {
        try {
          intern_batch(bytes);
        } catch (...) {
          failed_ = true;  // reported by finish(); nothing may escape the thread
        }
      }
      std::lock_guard<std::mutex> lock(mutex_);
      if (spare_.size() < kMaxQueued) spare_.push_back(std::move(bytes));
    }
  }

  static uint32_t get_u32(const char*& p) {
    uint32_t x;
    std::memcpy(&x, p, sizeof x);
    p += sizeof x;
    return x;
  }

  TermId iri(std::string_view text);
  TermId node(const char*& p);
  void intern_batch(const std::string& bytes) {
    const char* p = bytes.data();
    const char* end = p + bytes.size();
    while (p < end) {
      TermId s = node(p);
      TermId pr = node(p);
      TermId o = node(p);
      graph_.add(s, pr, o);
    }
  }

  Graph& graph_;
  std::string current_;
  size_t statements_ = 0;
  std::mutex mutex_;
  std::condition_variable ready_;
  std::condition_variable space_;
  std::deque<std::string> queue_;
  std::vector<std::string> spare_;
  bool done_ = false;
  bool failed_ = false;  // written by the worker only, read after join
  RecentTerms recent_;
  RecentTerms recent_blanks_;
  std::thread worker_;  // last: starts after every other member exists
};

TermId Pipeline::iri(std::string_view text) {
  TermId id = recent_.find(text);
  if (id == kNoTerm) {
    id = graph_.terms().iri(text);
    recent_.remember(text, id);
  }
  return id;
}

TermId Pipeline::node(const char*& p) {
  auto kind = static_cast<NodeKind>(*p++);
  uint32_t len = get_u32(p);
  std::string_view text(p, len);
  p += len;
  switch (kind) {
    case kIriNode:
      return iri(text);
    case kBlankNode: {
      TermId id = recent_blanks_.find(text);
      if (id == kNoTerm) {
        id = graph_.terms().blank(text);
        recent_blanks_.remember(text, id);
      }
      return id;
    }
    case kLiteralNode: {
      uint32_t dt_len = get_u32(p);
      std::string_view dt(p, dt_len);
      p += dt_len;
      uint32_t lang_len = get_u32(p);
      std::string_view lang(p, lang_len);
      p += lang_len;
      return graph_.terms().literal(text, dt.empty() ? kNoTerm : iri(dt), lang);
    }
  }
  return kNoTerm;
}

// Everything the Serd callbacks need. The callbacks are C functions: they catch every exception
// and turn it into a recorded error plus a Serd status, so nothing unwinds through Serd.
struct ParseContext {
  TermTable* terms = nullptr;
  SerdEnv* env = nullptr;
  std::string source;
  Graph* graph = nullptr;
  RecentTerms recent_iris;
  RecentTerms recent_blanks;
  RecentTerms recent_curies;     // keyed by the CURIE text; cleared when a prefix changes
  std::string scratch;           // reused buffer for CURIE expansion
  Pipeline* pipeline = nullptr;  // set when statements are interned on a second thread
  std::vector<std::pair<std::string, std::string>> prefixes;
  std::vector<ParseError> errors;
  size_t unrecorded_errors = 0;  // beyond kMaxRecordedErrors
  // CURIEs with an undefined prefix; their position is found afterwards in the source text.
  std::vector<std::string> bad_curies;
  // Set when the input could not be read to its end (Serd takes a read error for the end).
  std::string read_error;
  // Node positions (ParseOptions::node_positions): the text Serd reads one byte at a time,
  // how far it has read, and the positions found, handed over only if the document is taken.
  std::optional<NodePositions> positions;
  std::string_view position_text;
  size_t read_offset = 0;
  std::vector<size_t> line_starts;
  std::string blank_prefix;

  void add_error(ParseError error) {
    if (errors.size() < kMaxRecordedErrors) {
      errors.push_back(std::move(error));
    } else {
      ++unrecorded_errors;
    }
  }
  void add_bad_curie(std::string_view curie) {
    // Each one is located by a search of the whole text afterwards, so keep few.
    if (bad_curies.size() < kMaxLocatedCuries) {
      bad_curies.emplace_back(curie);
    } else {
      ++unrecorded_errors;
    }
  }
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
      std::string_view curie = node_text(node);
      TermId cached = ctx.recent_curies.find(curie);
      if (cached != kNoTerm) return cached;
      SerdChunk prefix{nullptr, 0};
      SerdChunk suffix{nullptr, 0};
      if (serd_env_expand(ctx.env, node, &prefix, &suffix) != SERD_SUCCESS) {
        ctx.add_bad_curie(node_text(node));
        return kNoTerm;
      }
      ctx.scratch.assign(reinterpret_cast<const char*>(prefix.buf), prefix.len);
      ctx.scratch.append(reinterpret_cast<const char*>(suffix.buf), suffix.len);
      TermId id = ctx.terms->iri(ctx.scratch);
      ctx.recent_curies.remember(curie, id);
      return id;
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
      ctx.add_error({ctx.source, 0, 0, "unexpected node type"});
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
    ctx->recent_curies.clear();
    serd::OwnedNode expanded(serd_env_expand_node(ctx->env, uri));
    std::string_view iri = expanded.empty() ? node_text(uri) : node_text(&expanded.get());
    ctx->prefixes.emplace_back(std::string(node_text(name)), std::string(iri));
    return SERD_SUCCESS;
  } catch (...) {
    ctx->add_error({ctx->source, 0, 0, "out of memory"});
    return SERD_ERR_INTERNAL;
  }
}

// Appends the node's IRI, resolved against the environment, to `out`; false for an undefined
// prefix (recorded for the error report).
bool append_iri(ParseContext& ctx, const SerdNode* node, std::string& out) {
  std::string_view text = node_text(node);
  if (node->type == SERD_CURIE) {
    SerdChunk prefix{nullptr, 0};
    SerdChunk suffix{nullptr, 0};
    if (serd_env_expand(ctx.env, node, &prefix, &suffix) != SERD_SUCCESS) {
      ctx.add_bad_curie(text);
      return false;
    }
    Pipeline::put_u32(out, prefix.len + suffix.len);
    out.append(reinterpret_cast<const char*>(prefix.buf), prefix.len);
    out.append(reinterpret_cast<const char*>(suffix.buf), suffix.len);
    return true;
  }
  if (is_absolute_iri(text)) {
    Pipeline::put_u32(out, text.size());
    out.append(text);
    return true;
  }
  serd::OwnedNode expanded(serd_env_expand_node(ctx.env, node));
  std::string_view resolved = expanded.empty() ? text : node_text(&expanded.get());
  Pipeline::put_u32(out, resolved.size());
  out.append(resolved);
  return true;
}

bool append_node(ParseContext& ctx, const SerdNode* node, const SerdNode* datatype,
                 const SerdNode* lang, std::string& out) {
  switch (node->type) {
    case SERD_URI:
    case SERD_CURIE:
      out += static_cast<char>(Pipeline::kIriNode);
      return append_iri(ctx, node, out);
    case SERD_BLANK:
      out += static_cast<char>(Pipeline::kBlankNode);
      Pipeline::put_u32(out, node->n_bytes);
      out.append(node_text(node));
      return true;
    case SERD_LITERAL: {
      out += static_cast<char>(Pipeline::kLiteralNode);
      Pipeline::put_u32(out, node->n_bytes);
      out.append(node_text(node));
      if (datatype != nullptr && datatype->buf != nullptr) {
        if (!append_iri(ctx, datatype, out)) return false;
      } else {
        Pipeline::put_u32(out, 0);
      }
      std::string_view lg = (lang != nullptr && lang->buf != nullptr) ? node_text(lang) : "";
      Pipeline::put_u32(out, lg.size());
      out.append(lg);
      return true;
    }
    default:
      ctx.add_error({ctx.source, 0, 0, "unexpected node type"});
      return false;
  }
}

// 1-based line and byte column of `offset`, from the line starts of ctx.position_text.
SourcePosition position_at(const ParseContext& ctx, size_t offset) {
  auto next_line = std::upper_bound(ctx.line_starts.begin(), ctx.line_starts.end(), offset);
  size_t line_start = *(next_line - 1);  // line_starts[0] is 0
  return {static_cast<unsigned>(next_line - ctx.line_starts.begin()),
          static_cast<unsigned>(offset - line_start + 1)};
}

// Where `needle` was last written before `end`, or `end` when it cannot be found.
size_t written_before(std::string_view text, size_t end, std::string_view needle) {
  if (needle.empty() || needle.size() > end) return end;
  size_t at = text.rfind(needle, end - needle.size());
  return at == std::string_view::npos ? end : at;
}

// Serd calls the statement sink just after reading the object (a byte or so of look-ahead),
// and, for an object '[ ... ]', just after its '['. So a subject is searched back from there as
// it was written; a blank node opened with '[' is placed at that bracket.
void record_positions(ParseContext& ctx, SerdStatementFlags flags, const SerdNode* subject,
                      TermId s, const SerdNode* object, TermId o) {
  NodePositions& positions = *ctx.positions;
  std::string_view text = ctx.position_text;
  size_t end = std::min(ctx.read_offset, text.size());
  if ((flags & SERD_ANON_O_BEGIN) != 0 && object->type == SERD_BLANK) {
    positions.emplace(o, position_at(ctx, written_before(text, end, "[")));
  }
  if (positions.count(s) != 0) return;
  size_t at = end;
  std::string_view written = node_text(subject);
  if (subject->type == SERD_CURIE) {
    at = written_before(text, end, written);
  } else if (subject->type == SERD_URI) {
    at = written_before(text, end, "<" + std::string(written) + ">");
  } else if ((flags & SERD_ANON_S_BEGIN) != 0) {
    at = written_before(text, end, "[");
  } else if (subject->type == SERD_BLANK && written.rfind(ctx.blank_prefix, 0) == 0) {
    at = written_before(text, end, "_:" + std::string(written.substr(ctx.blank_prefix.size())));
  }
  positions.emplace(s, position_at(ctx, at));
}

SerdStatus on_statement(void* handle, SerdStatementFlags flags, const SerdNode* /*graph*/,
                        const SerdNode* subject, const SerdNode* predicate, const SerdNode* object,
                        const SerdNode* object_datatype, const SerdNode* object_lang) {
  auto* ctx = static_cast<ParseContext*>(handle);
  try {
    if (ctx->pipeline != nullptr) {
      std::string& out = ctx->pipeline->batch();
      size_t start = out.size();
      if (!append_node(*ctx, subject, nullptr, nullptr, out) ||
          !append_node(*ctx, predicate, nullptr, nullptr, out) ||
          !append_node(*ctx, object, object_datatype, object_lang, out)) {
        out.resize(start);  // drop the partial statement
        return SERD_ERR_BAD_CURIE;
      }
      ctx->pipeline->statement_done();
      return SERD_SUCCESS;
    }
    TermId s = to_term(*ctx, subject, nullptr, nullptr);
    TermId p = to_term(*ctx, predicate, nullptr, nullptr);
    TermId o = to_term(*ctx, object, object_datatype, object_lang);
    if (s == kNoTerm || p == kNoTerm || o == kNoTerm) return SERD_ERR_BAD_CURIE;
    ctx->graph->add(s, p, o);
    if (ctx->positions) record_positions(*ctx, flags, subject, s, object, o);
    return SERD_SUCCESS;
  } catch (...) {
    ctx->add_error({ctx->source, 0, 0, "out of memory"});
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
    ctx->add_error({ctx->source, error->line, error->col, std::move(message)});
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

// 1-based line and byte column of `offset` in `text`.
std::pair<unsigned, unsigned> line_and_column(std::string_view text, size_t offset) {
  unsigned line = 1;
  size_t line_start = 0;
  for (size_t i = 0; i < offset; ++i) {
    if (text[i] == '\n') {
      ++line;
      line_start = i + 1;
    }
  }
  return {line, static_cast<unsigned>(offset - line_start + 1)};
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
  return line_and_column(text, pos);
}

Status run_reader(ParseContext& ctx, const ParseOptions& options, bool pipelined, Graph& graph,
                  std::vector<ParseError>* warnings, SerdStatus (*read)(SerdReader*, const void*),
                  const void* arg, std::string_view text_for_positions,
                  const std::string& path_for_positions) {
  std::string base = options.base_iri;
  SerdNode base_node =
      serd_node_from_string(SERD_URI, reinterpret_cast<const uint8_t*>(base.c_str()));
  serd::EnvPtr env(serd_env_new(base.empty() ? nullptr : &base_node));
  if (!env) return internal_error("serd_env_new failed");
  ctx.env = env.get();
  ctx.terms = &graph.terms();
  ctx.graph = &graph;
  // Triples go straight into the graph's append buffer; a rejected document is rolled back.
  size_t mark = graph.append_mark();

  serd::ReaderPtr reader(serd_reader_new(to_serd(options.syntax), &ctx, nullptr, on_base, on_prefix,
                                         on_statement, nullptr));
  if (!reader) return internal_error("serd_reader_new failed");
  serd_reader_set_error_sink(reader.get(), on_error, &ctx);
  serd_reader_set_strict(reader.get(), options.strict);
  std::string blank_prefix = graph.terms().fresh_blank_prefix();
  serd_reader_add_blank_prefix(reader.get(),
                               reinterpret_cast<const uint8_t*>(blank_prefix.c_str()));
  ctx.blank_prefix = blank_prefix;

  SerdStatus st = SERD_SUCCESS;
  bool interned = true;
  std::optional<Pipeline> pipeline;
  if (pipelined) {
    try {
      pipeline.emplace(graph);
    } catch (const std::system_error&) {
      // No thread available: parse on this one.
    }
  }
  if (pipeline) {
    ctx.pipeline = &*pipeline;
    st = read(reader.get(), arg);
    interned = pipeline->finish();
    ctx.pipeline = nullptr;
  } else {
    st = read(reader.get(), arg);
  }
  if (!interned) ctx.errors.push_back({ctx.source, 0, 0, "out of memory while interning terms"});

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
    ctx.errors.push_back(
        {ctx.source, 0, 0,
         std::string("read failed: ") + reinterpret_cast<const char*>(serd_strerror(st))});
  }
  // A document read only in part is no document, in lax mode too.
  if (!ctx.read_error.empty()) {
    ctx.errors.insert(ctx.errors.begin(), ParseError{ctx.source, 0, 0, ctx.read_error});
  }
  if (warnings) warnings->insert(warnings->end(), ctx.errors.begin(), ctx.errors.end());
  if ((options.strict || !ctx.read_error.empty()) && !ctx.errors.empty()) {
    std::string message = ctx.errors.front().to_string();
    size_t more = ctx.errors.size() - 1 + ctx.unrecorded_errors;
    if (more > 0) message += " (and " + std::to_string(more) + " more)";
    graph.rollback(mark);
    return invalid_argument(message);
  }
  for (auto& [name, iri] : ctx.prefixes) graph.set_prefix(name, iri);
  if (ctx.positions && options.node_positions != nullptr) {
    options.node_positions->insert(ctx.positions->begin(), ctx.positions->end());
  }
  return Status::ok();
}

// A second thread only pays off when a core is idle: on a saturated machine the hand-over
// costs more than the overlap gains, so kAuto looks at the 1-minute load average.
bool spare_core() {
  unsigned cores = std::thread::hardware_concurrency();
  double load[1] = {0};
  if (cores < 2 || getloadavg(load, 1) != 1) return false;
  return load[0] + 1.0 <= static_cast<double>(cores);
}

bool is_turtle_or_trig(Syntax syntax) {
  return syntax == Syntax::kTurtle || syntax == Syntax::kTriG;
}

// Serd reads Turtle and TriG collections and blank nodes by recursion; the other two syntaxes
// cannot nest (Serd refuses '(' and '[' as their objects). In lax mode every syntax is scanned
// for an IRI left open at the end, which lax Serd would read forever.
bool needs_scan(const ParseOptions& options) {
  return is_turtle_or_trig(options.syntax) || !options.strict;
}

// Serd 0.30 reads a stream in pages. After a bad Turtle or TriG statement, lax Serd skips ahead
// with a loop that stops only at a line end or a NUL byte: on a plain string, whose end it keeps
// reporting, that loop never ends, and on a stream it runs past the end into the rest of its
// page buffer, which still holds bytes of the page before. So lax Turtle and TriG are fed as a
// stream whose text is followed by NUL bytes up to a full page and then one more page of them:
// the loop stops at the first NUL, and no stale bytes are left to read. (Serd passes over a NUL
// between statements without a message.)
class NulPaddedStream {
 public:
  static constexpr size_t kPageSize = 4096;
  explicit NulPaddedStream(std::string_view text) : text_(text) {}
  explicit NulPaddedStream(FILE* file) : file_(file) {}

  static size_t read(void* buf, size_t size, size_t count, void* stream) {
    return static_cast<NulPaddedStream*>(stream)->next(static_cast<char*>(buf), size * count);
  }
  static int error(void* stream) {
    FILE* file = static_cast<NulPaddedStream*>(stream)->file_;
    return file != nullptr && std::ferror(file) ? 1 : 0;
  }

 private:
  size_t next(char* out, size_t want) {
    size_t n = 0;
    if (!text_done_) {
      if (file_ != nullptr) {
        n = std::fread(out, 1, want, file_);
      } else {
        n = std::min(want, text_.size() - position_);
        std::memcpy(out, text_.data() + position_, n);
        position_ += n;
      }
      if (n == want) return n;
      text_done_ = true;
    } else if (padded_) {
      return 0;
    } else {
      padded_ = true;
    }
    std::memset(out + n, 0, want - n);
    return want;
  }

  std::string_view text_;
  FILE* file_ = nullptr;
  size_t position_ = 0;
  bool text_done_ = false;
  bool padded_ = false;  // the page of NULs after the text has gone out
};

// Hands Serd the text one byte per page, so ParseContext::read_offset says how far Serd has
// read when it reports a statement (node positions). Strict parsing only: lax Turtle needs the
// NUL padding above.
class TrackedStream {
 public:
  explicit TrackedStream(ParseContext& ctx) : ctx_(ctx) {}
  static size_t read(void* buf, size_t size, size_t count, void* stream) {
    auto* self = static_cast<TrackedStream*>(stream);
    std::string_view text = self->ctx_.position_text;
    size_t n = std::min(size * count, text.size() - self->ctx_.read_offset);
    std::memcpy(buf, text.data() + self->ctx_.read_offset, n);
    self->ctx_.read_offset += n;
    return n;
  }
  static int error(void* /*stream*/) { return 0; }

 private:
  ParseContext& ctx_;
};

SerdStatus read_tracked(SerdReader* reader, TrackedStream& stream, const std::string& name) {
  return serd_reader_read_source(reader, &TrackedStream::read, &TrackedStream::error, &stream,
                                 reinterpret_cast<const uint8_t*>(name.c_str()), 1);
}

SerdStatus read_padded(SerdReader* reader, NulPaddedStream& stream, const std::string& name) {
  return serd_reader_read_source(reader, &NulPaddedStream::read, &NulPaddedStream::error, &stream,
                                 reinterpret_cast<const uint8_t*>(name.c_str()),
                                 NulPaddedStream::kPageSize);
}

// Refuses the document before Serd sees it, in the form of Serd's own errors.
Status reject(ParseError where, const NestingProblem& problem, std::vector<ParseError>* warnings) {
  where.line = problem.line;
  where.column = problem.column;
  where.message = problem.message;
  if (warnings) warnings->push_back(where);
  return invalid_argument(where.to_string());
}

Status read_failure(const std::string& path, int error_number, std::vector<ParseError>* warnings) {
  ParseError error{path, 0, 0, std::string("read error: ") + std::strerror(error_number)};
  if (warnings) warnings->push_back(error);
  return invalid_argument(error.to_string());
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
  SerdNode node =
      serd_node_new_file_uri(reinterpret_cast<const uint8_t*>(p.c_str()), nullptr, nullptr, true);
  serd::OwnedNode owned(node);
  return std::string(node_text(&owned.get()));
}

Status parse_file(const std::string& path, Graph& graph, const ParseOptions& options,
                  std::vector<ParseError>* warnings) {
  struct FileCloser {
    void operator()(FILE* f) const { std::fclose(f); }
  };
  // fopen() accepts a directory and Serd then takes the failing read for an empty document.
  std::error_code status_error;
  std::filesystem::file_status status = std::filesystem::status(path, status_error);
  if (!status_error && std::filesystem::is_directory(status)) {
    return invalid_argument(path + ": is a directory, not an RDF file");
  }
  std::unique_ptr<FILE, FileCloser> file(std::fopen(path.c_str(), "rb"));
  if (!file) return not_found(path + ": cannot open file: " + std::strerror(errno));
  ParseOptions opts = options;
  if (opts.base_iri.empty()) opts.base_iri = file_iri(path);

  if (!std::filesystem::is_regular_file(status) ||
      (opts.node_positions != nullptr && opts.strict)) {
    // A pipe or a device can be read only once: read it whole, then parse the text. Node
    // positions are found in the text too.
    std::string text;
    char buf[1 << 16];
    size_t n = 0;
    while ((n = std::fread(buf, 1, sizeof buf, file.get())) > 0) text.append(buf, n);
    if (std::ferror(file.get())) return read_failure(path, errno, warnings);
    return parse_string(text, path, graph, opts, warnings);
  }
  if (needs_scan(opts)) {
    // One pass through the scanner before Serd reads the file from the start again.
    NestingScanner scanner(opts.max_nesting_depth, !opts.strict);
    char buf[1 << 16];
    size_t n = 0;
    while ((n = std::fread(buf, 1, sizeof buf, file.get())) > 0) {
      if (!scanner.feed(std::string_view(buf, n))) break;
    }
    if (std::ferror(file.get())) return read_failure(path, errno, warnings);
    if (!scanner.finish()) return reject(ParseError{path, 0, 0, ""}, *scanner.problem(), warnings);
    if (std::fseek(file.get(), 0, SEEK_SET) != 0) return read_failure(path, errno, warnings);
  }

  ParseContext ctx;
  ctx.source = path;
  NulPaddedStream padded(file.get());
  struct Arg {
    FILE* file;
    const std::string* name;
    std::string* read_error;
    NulPaddedStream* padded;  // lax Turtle and TriG only
  } arg{file.get(), &path, &ctx.read_error,
        !opts.strict && is_turtle_or_trig(opts.syntax) ? &padded : nullptr};
  auto read = [](SerdReader* r, const void* a) {
    const auto* args = static_cast<const Arg*>(a);
    SerdStatus st = args->padded != nullptr
                        ? read_padded(r, *args->padded, *args->name)
                        : serd_reader_read_file_handle(
                              r, args->file, reinterpret_cast<const uint8_t*>(args->name->c_str()));
    if (std::ferror(args->file)) {
      *args->read_error = std::string("read error: ") + std::strerror(errno);
    }
    return st;
  };
  bool pipelined = options.pipelining == ParseOptions::Pipelining::kOn;
  if (options.pipelining == ParseOptions::Pipelining::kAuto) {
    constexpr std::uintmax_t kPipelineBytes = 4u << 20;
    std::error_code ec;
    std::uintmax_t bytes = std::filesystem::file_size(path, ec);
    pipelined = !ec && bytes >= kPipelineBytes && spare_core();
  }
  return run_reader(ctx, opts, pipelined, graph, warnings, read, &arg, {}, path);
}

Status parse_string(std::string_view text, std::string_view source_name, Graph& graph,
                    const ParseOptions& options, std::vector<ParseError>* warnings) {
  ParseError where{std::string(source_name), 0, 0, ""};
  // Serd reads a string up to its first NUL and would silently drop the rest.
  size_t nul = text.find('\0');
  if (nul != std::string_view::npos) {
    auto [line, column] = line_and_column(text, nul);
    return reject(where, NestingProblem{line, column, "NUL byte in the input"}, warnings);
  }
  if (needs_scan(options)) {
    NestingScanner scanner(options.max_nesting_depth, !options.strict);
    if (!scanner.feed(text) || !scanner.finish())
      return reject(where, *scanner.problem(), warnings);
  }
  ParseContext ctx;
  ctx.source = std::string(source_name);
  std::string copy(text);  // Serd wants a NUL-terminated buffer
  NulPaddedStream padded(copy);
  TrackedStream tracked(ctx);
  bool track = options.node_positions != nullptr && options.strict;
  if (track) {
    ctx.positions.emplace();
    ctx.position_text = copy;
    ctx.line_starts.push_back(0);
    for (size_t i = 0; i < copy.size(); ++i) {
      if (copy[i] == '\n') ctx.line_starts.push_back(i + 1);
    }
  }
  struct Arg {
    const std::string* text;
    NulPaddedStream* padded;  // lax Turtle and TriG only
    TrackedStream* tracked;   // node positions only
  } arg{&copy, !options.strict && is_turtle_or_trig(options.syntax) ? &padded : nullptr,
        track ? &tracked : nullptr};
  auto read = [](SerdReader* r, const void* a) {
    const auto* args = static_cast<const Arg*>(a);
    if (args->padded != nullptr) return read_padded(r, *args->padded, "string");
    if (args->tracked != nullptr) return read_tracked(r, *args->tracked, "string");
    return serd_reader_read_string(r, reinterpret_cast<const uint8_t*>(args->text->c_str()));
  };
  bool pipelined = !track && (options.pipelining == ParseOptions::Pipelining::kOn ||
                              (options.pipelining == ParseOptions::Pipelining::kAuto &&
                               copy.size() >= (4u << 20) && spare_core()));
  return run_reader(ctx, options, pipelined, graph, warnings, read, &arg, copy, {});
}

Status parse_stream(std::istream& in, std::string_view source_name, Graph& graph,
                    const ParseOptions& options, std::vector<ParseError>* warnings) {
  std::string text = read_all(in);
  if (in.bad()) return unavailable(std::string(source_name) + ": read error");
  return parse_string(text, source_name, graph, options, warnings);
}

}  // namespace mpli::rdf
