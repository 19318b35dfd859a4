// The resolver's domain in process (bench/resolver/in_process.sh): loads generated provider
// manifests and verified facts into a resolver::CatalogueIndex the way the resolver's cold
// start does (every fact first, then each provider's manifest as the N-Triples discovery
// exports), then times reading and resolving each consumer manifest. Without the bus, the
// database and discovery's ingest, it reaches 1,000,000 offerings in minutes. Prints a markdown
// table. A program, not a test.
//
//   mpli-bench-resolver-index --manifests DIR --facts FILE --consumers DIR
//                             [--names m1,m2,m3,m4] [--repeat 20] [--warmup 2] [--dump DIR]
//                             [--match-threads 2]
//
// --dump writes each manifest's last resolution to DIR/<name>.txt (protobuf text format), so
// two builds can be checked to resolve identically on the same data.
//
// DIR holds bench/discovery/generate_manifests.py's p<i>.ttl, FILE the N-Triples of
// `mpli-bench-resolver verified-facts`, --consumers bench/resolver/consumers.py's <name>.ttl.
#include <google/protobuf/text_format.h>
#include <malloc.h>
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
#include <string>
#include <unordered_map>
#include <vector>

#include "libs/core/digest.h"
#include "libs/process/huge_pages.h"
#include "libs/rdf/graph.h"
#include "libs/rdf/parser.h"
#include "services/resolver/domain/catalogue_index.h"
#include "services/resolver/domain/column_checks.h"
#include "services/resolver/domain/consumer_manifest.h"
#include "services/resolver/domain/resolution.h"

namespace mpli::bench {

// Compiled in from ontology/shapes/consumer.ttl by mpli_embed_text, as in the resolver.
const std::string& consumer_shapes();

namespace {

using Clock = std::chrono::steady_clock;
using FactsBySubject = std::unordered_map<std::string, std::vector<resolver::Fact>>;
constexpr double kMiB = 1024.0 * 1024.0;

// ---- Arguments and files -----------------------------------------------------------------

struct Options {
  std::string manifests;
  std::string facts;
  std::string consumers;
  std::vector<std::string> names;
  int repeat = 20;
  int warmup = 2;
  std::string dump;  // "" or a directory for the resolutions
  size_t match_threads = resolver::ResolveOptions{}.match_threads;
};

[[noreturn]] void fail(const std::string& message) {
  std::cerr << "mpli-bench-resolver-index: " << message << "\n";
  std::exit(1);
}

std::vector<std::string> split(const std::string& list) {
  std::vector<std::string> items;
  std::stringstream in(list);
  for (std::string item; std::getline(in, item, ',');) {
    if (!item.empty()) items.push_back(item);
  }
  return items;
}

Options parse_options(int argc, char** argv) {
  std::map<std::string, std::string> given;  // --name value
  for (int i = 1; i + 1 < argc; i += 2) given[std::string(argv[i]).substr(2)] = argv[i + 1];
  auto required = [&given](const std::string& name) {
    auto it = given.find(name);
    if (it == given.end()) fail("missing --" + name);
    return it->second;
  };
  auto optional = [&given](const std::string& name, const std::string& fallback) {
    auto it = given.find(name);
    return it == given.end() ? fallback : it->second;
  };
  Options options;
  options.manifests = required("manifests");
  options.facts = required("facts");
  options.consumers = required("consumers");
  options.names = split(optional("names", "m1,m2,m3,m4"));
  options.repeat = std::stoi(optional("repeat", "20"));
  options.warmup = std::stoi(optional("warmup", "2"));
  options.dump = optional("dump", "");
  options.match_threads =
      std::stoul(optional("match-threads", std::to_string(options.match_threads)));
  if (options.match_threads < 1) fail("--match-threads must be at least 1");
  if (options.repeat < 1) fail("--repeat must be at least 1");
  return options;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) fail(path + ": cannot be read");
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// ---- Memory ------------------------------------------------------------------------------

struct Memory {
  double rss_mib = 0;   // VmRSS: resident now
  double hwm_mib = 0;   // VmHWM: the most ever resident
  double heap_mib = 0;  // malloc'ed and not freed (mallinfo2), the rest of RSS is code and slack
};

Memory memory_now() {
  Memory memory;
  std::ifstream status("/proc/self/status");
  for (std::string line; std::getline(status, line);) {
    double* field = line.rfind("VmRSS:", 0) == 0   ? &memory.rss_mib
                    : line.rfind("VmHWM:", 0) == 0 ? &memory.hwm_mib
                                                   : nullptr;
    if (field) *field = std::strtod(line.c_str() + 6, nullptr) / 1024;  // kB
  }
  struct mallinfo2 heap = mallinfo2();
  memory.heap_mib = static_cast<double>(heap.uordblks + heap.hblkhd) / kMiB;
  return memory;
}

// ---- Loading the index -------------------------------------------------------------------

// Every verified fact, by subject, as trust's export_facts states them.
FactsBySubject read_facts(const std::string& path) {
  rdf::Graph graph;
  rdf::ParseOptions options;
  options.syntax = rdf::Syntax::kNTriples;
  Status parsed = rdf::parse_string(read_file(path), path, graph, options);
  if (!parsed.is_ok()) fail(parsed.to_string());
  const rdf::TermTable& terms = graph.terms();
  FactsBySubject facts;
  for (const rdf::Triple& t : graph.triples()) {
    resolver::Fact fact;
    fact.subject = terms.value(t.s);
    fact.predicate = terms.value(t.p);
    fact.object = terms.value(t.o);
    fact.object_is_literal = terms.is_literal(t.o);
    if (fact.object_is_literal && terms.datatype(t.o) != terms.well_known().xsd_string)
      fact.datatype = terms.value(terms.datatype(t.o));
    facts[fact.subject].push_back(std::move(fact));
  }
  return facts;
}

std::vector<std::filesystem::path> manifest_files(const std::string& dir) {
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().extension() == ".ttl") files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  if (files.empty()) fail(dir + ": no .ttl manifests");
  return files;
}

std::string provider_id_of(const rdf::Graph& manifest) {
  rdf::TermId predicate = manifest.terms().find_iri(std::string(resolver::kMpli) + "providerId");
  for (const rdf::Triple& t : manifest.with_predicate(predicate)) {
    return std::string(manifest.terms().value(t.o));
  }
  return "";
}

// What discovery's export_catalog hands the resolver for one provider: the manifest's triples
// with blank nodes renamed per provider (normalised_ntriples in
// services/discovery/domain/manifest_check.cc).
std::string discovery_export(const rdf::Graph& manifest, const std::string& provider_id) {
  const rdf::TermTable& terms = manifest.terms();
  std::map<rdf::TermId, std::string> labels;
  std::string prefix = "_:p" + digest::sha256_hex(provider_id).substr(0, 8) + "b";
  auto term = [&](rdf::TermId id) {
    if (!terms.is_blank(id)) return terms.to_ntriples(id);
    auto [it, fresh] = labels.emplace(id, prefix + std::to_string(labels.size()));
    return it->second;
  };
  std::string out;
  for (const rdf::Triple& t : manifest.triples()) {
    out += term(t.s) + " " + term(t.p) + " " + term(t.o) + " .\n";
  }
  return out;
}

struct LoadReport {
  size_t providers = 0;
  size_t facts = 0;
  size_t refused = 0;   // put_provider errors (the resolver logs and leaves them out)
  double export_s = 0;  // reading the Turtle files and writing discovery's N-Triples
  double index_s = 0;   // set_facts and put_provider: the resolver's share of a cold start
  Memory after_facts;   // every fact set, no provider yet
  std::vector<std::pair<size_t, double>> rss_by_provider;  // providers loaded, VmRSS MiB
};

// Moved into the index, as the resolver does: the index then holds the only copy.
void set_all_facts(resolver::CatalogueIndex& index, FactsBySubject facts, LoadReport& report) {
  auto start = Clock::now();
  for (auto& [subject, held] : facts) {
    report.facts += held.size();
    index.set_facts(subject, std::move(held));
  }
  report.index_s += seconds_since(start);
}

void put_manifest(resolver::CatalogueIndex& index, const std::filesystem::path& file,
                  LoadReport& report) {
  auto start = Clock::now();
  rdf::Graph manifest;
  Status parsed = rdf::parse_string(read_file(file), file.string(), manifest);
  if (!parsed.is_ok()) fail(parsed.to_string());
  std::string provider_id = provider_id_of(manifest);
  std::string document = discovery_export(manifest, provider_id);
  report.export_s += seconds_since(start);

  start = Clock::now();
  Status put = index.put_provider(provider_id, document);
  report.index_s += seconds_since(start);
  ++report.providers;
  if (put.is_ok()) return;
  if (++report.refused <= 3) std::cerr << file << ": " << put.to_string() << "\n";
}

LoadReport load_catalogue(resolver::CatalogueIndex& index, const std::string& manifests_dir,
                          FactsBySubject facts) {
  LoadReport report;
  set_all_facts(index, std::move(facts), report);
  report.after_facts = memory_now();
  std::vector<std::filesystem::path> files = manifest_files(manifests_dir);
  size_t step = std::max<size_t>(1, files.size() / 10);
  for (size_t i = 0; i < files.size(); ++i) {
    put_manifest(index, files[i], report);
    if ((i + 1) % step == 0 || i + 1 == files.size()) {
      double rss = memory_now().rss_mib;
      report.rss_by_provider.emplace_back(i + 1, rss);
      std::cerr << "loaded " << i + 1 << " of " << files.size() << " providers, VmRSS "
                << static_cast<long>(rss) << " MiB\n";
    }
  }
  return report;
}

// ---- What the index holds ----------------------------------------------------------------

struct IndexContents {
  size_t offerings = 0;
  size_t terms = 0;
  size_t blank_terms = 0;
  size_t literal_terms = 0;
  double term_text_mib = 0;  // the terms' characters, without the table's per-term overhead
  size_t manifest_triples = 0;
  size_t graph_triples = 0;  // manifest plus facts, each held sorted twice (SPO, POS)
};

IndexContents contents_of(const resolver::CatalogueIndex& index) {
  IndexContents contents;
  contents.offerings = index.offering_count();
  const rdf::TermTable& terms = *index.terms();
  contents.terms = terms.size();
  size_t text = 0;
  for (rdf::TermId id = 1; id < terms.size(); ++id) {
    text += terms.value(id).size();
    contents.blank_terms += terms.is_blank(id) ? 1 : 0;
    contents.literal_terms += terms.is_literal(id) ? 1 : 0;
  }
  contents.term_text_mib = static_cast<double>(text) / kMiB;
  for (const auto& [id, segment] : index.providers()) {
    contents.manifest_triples += segment->graph.size() - segment->fact_triples.size();
    contents.graph_triples += segment->graph.size();
  }
  return contents;
}

// ---- Resolving ---------------------------------------------------------------------------

struct ConsumerRun {
  std::string name;
  std::vector<double> ms;      // read + resolve, one per timed repetition
  std::vector<double> cpu_ms;  // the same, in this thread's CPU time (less noisy on a shared
                               // machine: time waiting for a core is not counted)
  resolver::v1::Resolution last;
};

double thread_cpu_ms() {
  timespec now{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
  return static_cast<double>(now.tv_sec) * 1000 + static_cast<double>(now.tv_nsec) / 1e6;
}

// Nearest rank, as mpli-bench-resolver latency computes it.
double percentile(std::vector<double> samples, double p) {
  std::sort(samples.begin(), samples.end());
  size_t at = std::min(samples.size() - 1, static_cast<size_t>(samples.size() * p));
  return samples[at];
}

// One request as the resolver's resolve use case does it: read the manifest into the index's
// term table, have the index keep columns for its paths (built on the first request), then
// resolve with the consumer's verified facts (the resolver asks trust; the
// index holds the same) and the default options, prerequisite outcomes remembered across
// requests as the service remembers them.
resolver::v1::Resolution resolve_once(resolver::CatalogueIndex& index,
                                      const resolver::ConsumerManifestReader& reader,
                                      const std::string& text, size_t match_threads) {
  auto manifest = reader.read(text, index.terms());
  if (!manifest.is_ok()) fail(manifest.status().to_string());
  resolver::prepare_columns(index, **manifest);
  const auto& consumer_facts = index.facts_about((*manifest)->consumer_iri);
  static resolver::PrerequisiteMemo memo;  // the service keeps one across requests
  resolver::ResolveOptions resolve_options;
  resolve_options.match_threads = match_threads;
  return resolver::resolve(index, **manifest, consumer_facts, resolve_options, &memo);
}

ConsumerRun run_consumer(resolver::CatalogueIndex& index,
                         const resolver::ConsumerManifestReader& reader, const std::string& name,
                         const Options& options) {
  ConsumerRun run;
  run.name = name;
  std::string text = read_file(options.consumers + "/" + name + ".ttl");
  for (int i = 0; i < options.warmup; ++i)
    run.last = resolve_once(index, reader, text, options.match_threads);
  for (int i = 0; i < options.repeat; ++i) {
    auto start = Clock::now();
    double cpu_start = thread_cpu_ms();
    run.last = resolve_once(index, reader, text, options.match_threads);
    run.cpu_ms.push_back(thread_cpu_ms() - cpu_start);
    run.ms.push_back(seconds_since(start) * 1000);
  }
  if (!options.dump.empty()) {
    std::string text_format;
    google::protobuf::TextFormat::PrintToString(run.last, &text_format);
    std::ofstream(options.dump + "/" + name + ".txt") << text_format;
  }
  std::cerr << name << ": p50 " << static_cast<long>(percentile(run.ms, 0.5)) << " ms\n";
  return run;
}

// ---- Report ------------------------------------------------------------------------------

std::string number(double value, int decimals) {
  char text[64];
  std::snprintf(text, sizeof text, "%.*f", decimals, value);
  return text;
}

std::string conforming_counts(const resolver::v1::Resolution& resolution) {
  std::string out;
  for (const auto& requirement : resolution.requirements()) {
    out += (out.empty() ? "" : " / ") + std::to_string(requirement.conforming());
  }
  return out;
}

std::string describe(const Memory& memory) {
  return "VmRSS " + number(memory.rss_mib, 0) + " MiB, VmHWM " + number(memory.hwm_mib, 0) +
         " MiB (malloc in use " + number(memory.heap_mib, 0) + " MiB)";
}

void print_row(const std::string& measure, const std::string& result) {
  std::cout << "| " << measure << " | " << result << " |\n";
}

void print_load(const LoadReport& load, const IndexContents& contents, const Memory& before,
                const Memory& loaded) {
  print_row("catalogue",
            std::to_string(load.providers) + " providers, " + std::to_string(contents.offerings) +
                " offerings in the index, " + std::to_string(load.facts) + " verified facts" +
                (load.refused ? ", " + std::to_string(load.refused) + " refused" : ""));
  print_row("index load (set_facts + put_provider)", number(load.index_s, 1) + " s");
  print_row("reading the Turtle, writing discovery's N-Triples (not the resolver's)",
            number(load.export_s, 1) + " s");
  print_row("memory before the load", describe(before));
  print_row("memory after set_facts, before any provider", describe(load.after_facts));
  print_row("memory after the load", describe(loaded));
  std::string growth;
  for (const auto& [providers, rss] : load.rss_by_provider) {
    growth += (growth.empty() ? "" : ", ") + std::to_string(providers) + ": " + number(rss, 0);
  }
  print_row("VmRSS (MiB) as providers were loaded", growth);
  // Estimates from the counts: a term costs about 40 bytes plus its text (term_table.h), a
  // triple 12 bytes in ProviderSegment::manifest and 24 in a graph's SPO and POS (graph.h).
  double terms_mib = static_cast<double>(contents.terms) * 40 / kMiB + contents.term_text_mib;
  // The provider graphs keep one permutation (SPO, 12 bytes a triple) unless a shape walks
  // a predicate backwards; the manifests are not kept apart from them.
  double graph_mib = static_cast<double>(contents.graph_triples) * 12 / kMiB;
  print_row("terms in the shared table",
            std::to_string(contents.terms) + " (" + std::to_string(contents.blank_terms) +
                " blank nodes, " + std::to_string(contents.literal_terms) + " literals; text " +
                number(contents.term_text_mib, 0) + " MiB; about " + number(terms_mib, 0) +
                " MiB at 40 bytes a term plus the text)");
  print_row("triples: manifests / provider graphs (manifest + facts)",
            std::to_string(contents.manifest_triples) + " / " +
                std::to_string(contents.graph_triples) + " (about " + number(graph_mib, 0) +
                " MiB at 12 bytes a triple)");
}

void print_run(const ConsumerRun& run) {
  const resolver::v1::Resolution& r = run.last;
  std::string measure = "resolve " + run.name + " (" + std::to_string(r.requirements_size()) +
                        " req, conforming " + conforming_counts(r) + "; " +
                        std::to_string(r.answers_size()) + " answers of " +
                        std::to_string(r.answers_considered()) + " considered, " +
                        std::to_string(r.refusals_total()) + " refusals" +
                        (r.search_exhausted() ? ", search exhausted" : "") + ") p50 / p99 / max";
  print_row(measure, number(percentile(run.ms, 0.5), 1) + " / " +
                         number(percentile(run.ms, 0.99), 1) + " / " +
                         number(percentile(run.ms, 1.0), 1) + " ms (" +
                         std::to_string(run.ms.size()) + " runs; thread CPU p50 " +
                         number(percentile(run.cpu_ms, 0.5), 1) + " ms)");
}

}  // namespace
}  // namespace mpli::bench

int main(int argc, char** argv) {
  using namespace mpli;
  using namespace mpli::bench;
  // As the resolver starts (services/resolver/main.cc): its heap in 2 MiB pages (re-executes
  // once; GLIBC_TUNABLES=glibc.malloc.hugetlb=0 measures without).
  process::reexec_with_heap_huge_pages(argv);
  // As the resolver sets them at start (services/resolver/wiring.cc, keep_freed_memory): a
  // resolve's freed blocks are kept for the next rather than given back to the kernel.
  mallopt(M_MMAP_THRESHOLD, 32 << 20);
  mallopt(M_TRIM_THRESHOLD, 256 << 20);
  Options options = parse_options(argc, argv);
  auto reader = resolver::ConsumerManifestReader::create(consumer_shapes());
  if (!reader.is_ok()) fail(reader.status().to_string());

  Memory before = memory_now();
  resolver::CatalogueIndex index;
  LoadReport load = load_catalogue(index, options.manifests, read_facts(options.facts));
  IndexContents contents = contents_of(index);
  Memory loaded = memory_now();

  std::vector<ConsumerRun> runs;
  for (const auto& name : options.names) {
    runs.push_back(run_consumer(index, **reader, name, options));
  }
  Memory after = memory_now();

  std::cout << "| measure | result |\n| --- | --- |\n";
  print_load(load, contents, before, loaded);
  for (const auto& run : runs) print_run(run);
  print_row("memory after the resolves", describe(after));
  return load.refused == 0 ? 0 : 1;
}
