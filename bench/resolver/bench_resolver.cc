// The resolver benchmark's client (bench/resolver/run.sh): issues the verified facts, waits for
// the index, measures resolve latency (over the bus, or POST /v1/resolutions at the gateway),
// the time a catalogue change takes to become visible, and exports the facts as N-Triples for
// the Jena comparison; writes the facts its credentials make trust verify without a hub, for
// the in-process benchmark (bench/resolver/in_process.sh). A program, not a test.
//
//   mpli-bench-resolver issue      --nats URL --key PEM --providers N --consumer IRI
//   mpli-bench-resolver wait       --nats URL --manifest F --offerings N [--timeout-s S]
//   mpli-bench-resolver latency    --nats URL --manifest F --count N --concurrency C [--http BASE]
//   mpli-bench-resolver report     --nats URL --manifest F [--rejected-out FILE]
//   mpli-bench-resolver visibility --nats URL --manifest F --prepare CMD --trigger CMD --reps R
//   mpli-bench-resolver facts      --nats URL --out FILE
//   mpli-bench-resolver verified-facts --providers N --consumer IRI --out FILE
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <iostream>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "libs/bus/call.h"
#include "libs/bus/connection.h"
#include "libs/credentials/credential_issuer.h"
#include "libs/credentials/did.h"
#include "libs/credentials/jws.h"
#include "libs/http/client.h"
#include "libs/rdf/graph.h"
#include "libs/rdf/serializer.h"
#include "mpli/resolver/v1/resolver.pb.h"
#include "mpli/trust/v1/trust.pb.h"

namespace {

using namespace mpli;
using Clock = std::chrono::steady_clock;
constexpr auto kDeadline = std::chrono::seconds(60);

std::map<std::string, std::string> parse_args(int argc, char** argv) {
  std::map<std::string, std::string> args;
  for (int i = 2; i + 1 < argc; i += 2) args[std::string(argv[i]).substr(2)] = argv[i + 1];
  return args;
}

std::string arg(const std::map<std::string, std::string>& args, const std::string& name,
                const std::string& fallback = "") {
  auto it = args.find(name);
  if (it != args.end()) return it->second;
  if (!fallback.empty()) return fallback;
  std::cerr << "missing --" << name << "\n";
  std::exit(2);
}

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    std::cerr << path << ": cannot be read\n";
    std::exit(2);
  }
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::unique_ptr<bus::Connection> connect(const std::string& url) {
  bus::ConnectOptions options;
  options.url = url;
  options.name = "mpli-bench-resolver";
  auto connection = bus::Connection::connect(options);
  if (!connection.is_ok()) {
    std::cerr << "bus: " << connection.status().to_string() << "\n";
    std::exit(1);
  }
  if (auto ready = (*connection)->wait_connected(std::chrono::seconds(10)); !ready.is_ok()) {
    std::cerr << "bus: " << ready.to_string() << "\n";
    std::exit(1);
  }
  return std::move(*connection);
}

double ms_since(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

Result<resolver::v1::Resolution> resolve(bus::Connection& bus, const std::string& manifest,
                                         int explain_limit) {
  resolver::v1::ResolveRequest request;
  request.set_manifest(manifest);
  request.set_explain_limit(explain_limit);
  auto reply =
      bus::call<resolver::v1::ResolveReply>(bus, "mpli.resolver.v1.resolve", request, kDeadline);
  if (!reply.is_ok()) return reply.status();
  return reply->resolution();
}

// POST /v1/resolutions at the gateway: the JSON body with the proto field names.
bool resolve_http(const std::string& base, const std::string& manifest, int explain_limit,
                  std::string* error) {
  nlohmann::json body = {{"manifest", manifest}, {"explain_limit", explain_limit}};
  std::vector<std::string> headers = {"Content-Type: application/json", "Accept: application/json"};
  // A resolution belongs to the token's tenant: run.sh exports `mpli up`'s admin token.
  if (const char* token = std::getenv("MPLI_TOKEN"); token != nullptr && *token != '\0') {
    headers.push_back(std::string("Authorization: Bearer ") + token);
  }
  auto response = http::request("POST", base + "/v1/resolutions", body.dump(), headers, kDeadline);
  if (response.status == 200 || response.status == 201) return true;
  *error = "HTTP " + std::to_string(response.status) + " " + response.body.substr(0, 300);
  return false;
}

double percentile(std::vector<double> samples, double p) {
  if (samples.empty()) return 0;
  std::sort(samples.begin(), samples.end());
  size_t index = std::min(samples.size() - 1, static_cast<size_t>(samples.size() * p));
  return samples[index];
}

int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// The providers the bench certifies ISO 27001: 60% of them.
bool iso_certified(int provider) { return provider % 5 < 3; }

// The provider node of bench/discovery/generate_manifests.py's manifest `provider`.
std::string provider_subject(int provider) {
  return "https://p" + std::to_string(provider) + ".bench.example/.well-known/mpli.ttl#provider";
}

// Certification credentials (ISO 27001) for the iso_certified providers and a legal identity
// credential for the consumer, signed by the demo issuer the hub trusts, submitted to trust
// over the bus by 8 threads.
int issue(const std::map<std::string, std::string>& args) {
  auto bus = connect(arg(args, "nats"));
  auto key = credentials::SigningKey::from_pem(read_file(arg(args, "key")));
  if (!key.is_ok()) {
    std::cerr << key.status().to_string() << "\n";
    return 1;
  }
  auto did = credentials::did_key_from_public_key(key->public_key());
  if (!did.is_ok()) return 1;
  std::string kid = *did + "#" + did->substr(std::string("did:key:").size());
  int providers = std::stoi(arg(args, "providers"));
  int64_t now = unix_now();
  auto valid = [now](nlohmann::json credential) {
    credential["@context"] = {"https://www.w3.org/ns/credentials/v2"};
    credential["validFrom"] = credentials::xml_datetime(now - 86400);
    credential["validUntil"] = credentials::xml_datetime(now + 365 * 86400);
    return credential;
  };
  std::vector<nlohmann::json> todo;
  todo.push_back(
      valid({{"type", {"VerifiableCredential", "gx:LegalPerson"}},
             {"credentialSubject",
              {{"id", arg(args, "consumer")},
               {"type", "gx:LegalPerson"},
               {"schema:name", "Bench Consumer GmbH"},
               {"gx:legalAddress", {{"type", "gx:Address"}, {"gx:countryCode", "DE"}}}}}}));
  for (int i = 0; i < providers; ++i) {
    if (!iso_certified(i)) continue;
    todo.push_back(valid({{"type", {"VerifiableCredential", "CertificationCredential"}},
                          {"credentialSubject",
                           {{"id", provider_subject(i)},
                            {"standard", "mpli:ISO27001"},
                            {"covers", nlohmann::json::array()}}}}));
  }
  std::atomic<size_t> next{0};
  std::atomic<int> failed{0};
  auto start = Clock::now();
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (size_t i = next++; i < todo.size(); i = next++) {
        auto token = credentials::issue_vc_jwt(*key, *did, kid, todo[i], now);
        trust::v1::SubmitCredentialRequest request;
        request.set_token(token.is_ok() ? *token : "");
        auto reply = bus::call<trust::v1::SubmitCredentialReply>(
            *bus, "mpli.trust.v1.submit_credential", request, kDeadline);
        if (!reply.is_ok()) {
          if (failed++ < 3) std::cerr << "submit: " << reply.status().to_string() << "\n";
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
  std::printf("%zu %.2f %d\n", todo.size(), ms_since(start) / 1000, failed.load());
  return failed == 0 ? 0 : 1;
}

int wait(const std::map<std::string, std::string>& args) {
  auto bus = connect(arg(args, "nats"));
  std::string manifest = read_file(arg(args, "manifest"));
  int64_t expected = std::stoll(arg(args, "offerings"));
  double timeout_ms = std::stod(arg(args, "timeout-s", "1800")) * 1000;
  auto start = Clock::now();
  int64_t seen = -1;
  while (ms_since(start) < timeout_ms) {
    auto resolution = resolve(*bus, manifest, 0);
    if (resolution.is_ok()) {
      seen = resolution->catalogue_offerings();
      if (seen >= expected) {
        std::printf("%.2f %lld\n", ms_since(start) / 1000, static_cast<long long>(seen));
        return 0;
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  std::cerr << "index has " << seen << " of " << expected << " offerings after timeout\n";
  return 1;
}

int latency(const std::map<std::string, std::string>& args) {
  std::string http_base = arg(args, "http", "-");
  std::unique_ptr<bus::Connection> bus;
  if (http_base == "-") bus = connect(arg(args, "nats"));
  std::string manifest = read_file(arg(args, "manifest"));
  int count = std::stoi(arg(args, "count"));
  int concurrency = std::stoi(arg(args, "concurrency", "1"));
  int explain_limit = std::stoi(arg(args, "explain-limit", "20"));
  auto once = [&](std::string* error) {
    if (bus) {
      auto resolution = resolve(*bus, manifest, explain_limit);
      if (!resolution.is_ok()) *error = resolution.status().to_string();
      return resolution.is_ok();
    }
    return resolve_http(http_base, manifest, explain_limit, error);
  };
  std::string error;
  for (int i = 0; i < 3; ++i) {  // warm-up
    if (!once(&error)) {
      std::cerr << "resolve: " << error << "\n";
      return 1;
    }
  }
  std::vector<double> samples;
  std::mutex lock;
  std::atomic<int> next{0};
  std::atomic<int> failed{0};
  auto start = Clock::now();
  std::vector<std::thread> threads;
  for (int t = 0; t < concurrency; ++t) {
    threads.emplace_back([&] {
      std::vector<double> mine;
      std::string why;
      while (next++ < count) {
        auto begin = Clock::now();
        if (!once(&why)) {
          if (failed++ < 3) std::cerr << "resolve: " << why << "\n";
          continue;
        }
        mine.push_back(ms_since(begin));
      }
      std::lock_guard<std::mutex> guard(lock);
      samples.insert(samples.end(), mine.begin(), mine.end());
    });
  }
  for (auto& thread : threads) thread.join();
  double seconds = ms_since(start) / 1000;
  // p50 p90 p99 max throughput(req/s)
  std::printf("%.2f %.2f %.2f %.2f %.1f\n", percentile(samples, 0.5), percentile(samples, 0.9),
              percentile(samples, 0.99), percentile(samples, 1.0), samples.size() / seconds);
  return failed == 0 ? 0 : 1;
}

// One resolution with the largest explanation: per requirement its label, conforming,
// accepted and rejected counts; rejected offerings (requirement_shape) listed to a file.
int report(const std::map<std::string, std::string>& args) {
  auto bus = connect(arg(args, "nats"));
  auto resolution = resolve(*bus, read_file(arg(args, "manifest")), 1000);
  if (!resolution.is_ok()) {
    std::cerr << "resolve: " << resolution.status().to_string() << "\n";
    return 1;
  }
  std::string out = arg(args, "rejected-out", "-");
  std::ofstream rejected;
  if (out != "-") rejected.open(out, std::ios::trunc);
  int index = 0;
  for (const auto& requirement : resolution->requirements()) {
    ++index;
    std::printf("req%d\t%s\t%d\t%d\t%d\t%d\n", index, requirement.label().c_str(),
                requirement.conforming(), requirement.accepted(), requirement.rejected_total(),
                requirement.rejected_size());
    if (rejected) {
      for (const auto& candidate : requirement.rejected()) {
        if (candidate.reason() == "requirement_shape")
          rejected << "req" << index << "\t" << candidate.offering() << "\n";
      }
    }
  }
  std::printf("satisfiable\t%d\tanswers\t%d\tconsidered\t%lld\trefusals\t%d\toffered\t%lld\n",
              resolution->satisfiable() ? 1 : 0, resolution->answers_size(),
              static_cast<long long>(resolution->answers_considered()), resolution->refusals_size(),
              static_cast<long long>(resolution->catalogue_offerings()));
  if (resolution->answers_size() > 0) {
    const auto& best = resolution->answers(0);
    std::printf("best\t%.2f\t%.3f", best.monthly_price(), best.score());
    for (const auto& assignment : best.assignments())
      std::printf("\t%s@%s", assignment.offering().c_str(), assignment.country().c_str());
    std::printf("\n");
  }
  return 0;
}

// For each repetition: run --prepare (untimed; {MARK} replaced), run --trigger (timed from its
// start), then resolve the manifest ({MARK} replaced) every few ms until its first requirement
// has a conforming offering. Prints one line of milliseconds per repetition.
int visibility(const std::map<std::string, std::string>& args) {
  auto bus = connect(arg(args, "nats"));
  std::string manifest_template = read_file(arg(args, "manifest"));
  std::string prepare = arg(args, "prepare");
  std::string trigger = arg(args, "trigger");
  int reps = std::stoi(arg(args, "reps", "5"));
  int base = std::stoi(arg(args, "mark-base", "5000"));
  auto fill = [](std::string text, const std::string& mark) {
    for (size_t at = text.find("{MARK}"); at != std::string::npos; at = text.find("{MARK}"))
      text.replace(at, 6, mark);
    return text;
  };
  for (int rep = 0; rep < reps; ++rep) {
    std::string mark = std::to_string(base + rep);
    if (std::system(fill(prepare, mark).c_str()) != 0) {
      std::cerr << "prepare failed\n";
      return 1;
    }
    std::string manifest = fill(manifest_template, mark);
    auto start = Clock::now();
    if (std::system(fill(trigger, mark).c_str()) != 0) {
      std::cerr << "trigger failed\n";
      return 1;
    }
    double trigger_ms = ms_since(start);
    bool seen = false;
    while (ms_since(start) < 60000) {
      auto resolution = resolve(*bus, manifest, 0);
      if (resolution.is_ok() && resolution->requirements_size() > 0 &&
          resolution->requirements(0).conforming() > 0) {
        seen = true;
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    if (!seen) {
      std::cerr << "change " << mark << " not visible after 60 s\n";
      return 1;
    }
    std::printf("%.1f %.1f\n", ms_since(start), trigger_ms);
    std::fflush(stdout);
  }
  return 0;
}

using Facts = google::protobuf::RepeatedPtrField<trust::v1::Fact>;

// Facts as N-Triples: a literal without datatype is a plain string, as trust states it.
std::string to_ntriples(const Facts& facts) {
  rdf::Graph graph;
  rdf::TermTable& terms = graph.terms();
  for (const auto& fact : facts) {
    rdf::TermId datatype = fact.datatype().empty() ? rdf::kNoTerm : terms.iri(fact.datatype());
    rdf::TermId object = fact.object_is_literal() ? terms.literal(fact.object(), datatype)
                                                  : terms.iri(fact.object());
    graph.add(terms.iri(fact.subject()), terms.iri(fact.predicate()), object);
  }
  return rdf::to_ntriples(graph);
}

int facts(const std::map<std::string, std::string>& args) {
  auto bus = connect(arg(args, "nats"));
  std::ofstream out(arg(args, "out"), std::ios::trunc);
  std::string cursor;
  size_t count = 0;
  do {
    trust::v1::ExportFactsRequest request;
    request.set_cursor(cursor);
    request.set_limit(5000);
    auto page = bus::call<trust::v1::ExportFactsReply>(*bus, "mpli.trust.v1.export_facts", request,
                                                       kDeadline);
    if (!page.is_ok()) {
      std::cerr << "export_facts: " << page.status().to_string() << "\n";
      return 1;
    }
    out << to_ntriples(page->facts());
    count += page->facts_size();
    cursor = page->next_cursor();
  } while (!cursor.empty());
  std::printf("%zu\n", count);
  return 0;
}

void add_fact(Facts& facts, const std::string& subject, const std::string& predicate,
              const std::string& object, bool object_is_literal = false) {
  trust::v1::Fact* fact = facts.Add();
  fact->set_subject(subject);
  fact->set_predicate(predicate);
  fact->set_object(object);
  fact->set_object_is_literal(object_is_literal);
}

// The facts trust draws from the credentials `issue` submits (services/trust/domain/
// fact_mapping.cc), written without a hub for the in-process benchmark.
int verified_facts(const std::map<std::string, std::string>& args) {
  const std::string mpli_ns = "https://w3id.org/mpli#";
  const std::string type = mpli_ns + "verifiedCredentialType";
  int providers = std::stoi(arg(args, "providers"));
  Facts facts;
  add_fact(facts, arg(args, "consumer"), type, mpli_ns + "LegalIdentityCredential");
  add_fact(facts, arg(args, "consumer"), mpli_ns + "verifiedCountry", "DE", true);
  for (int i = 0; i < providers; ++i) {
    if (!iso_certified(i)) continue;
    add_fact(facts, provider_subject(i), type, mpli_ns + "CertificationCredential");
    add_fact(facts, provider_subject(i), mpli_ns + "verifiedCertification", mpli_ns + "ISO27001");
  }
  std::ofstream out(arg(args, "out"), std::ios::trunc);
  out << to_ntriples(facts);
  if (!out) {
    std::cerr << arg(args, "out") << ": cannot be written\n";
    return 1;
  }
  std::printf("%d\n", facts.size());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: mpli-bench-resolver "
                 "issue|wait|latency|report|visibility|facts|verified-facts --...\n";
    return 2;
  }
  std::string command = argv[1];
  auto args = parse_args(argc, argv);
  if (command == "issue") return issue(args);
  if (command == "wait") return wait(args);
  if (command == "latency") return latency(args);
  if (command == "report") return report(args);
  if (command == "visibility") return visibility(args);
  if (command == "facts") return facts(args);
  if (command == "verified-facts") return verified_facts(args);
  std::cerr << "unknown command " << command << "\n";
  return 2;
}
