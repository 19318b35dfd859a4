// Credential verification throughput on one core (bench/credentials/run.sh): `generate` writes
// vc+jwt credentials from a few did:key issuers, `verify` runs the trust service's whole check
// on them in a loop, `profile` splits one verification into its stages.
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <sched.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "libs/credentials/credential_verifier.h"
#include "libs/credentials/did.h"
#include "libs/credentials/json_document.h"
#include "libs/credentials/jwk.h"
#include "libs/credentials/jws.h"
#include "libs/credentials/status_list.h"

namespace {

using namespace mpli::credentials;
using Clock = std::chrono::steady_clock;

constexpr int kIssuersPerAlgorithm = 4;
constexpr const char* kStatusListUrl = "https://hub.example/status/1";
// Every credential is valid from 2025 to 2035; the verifier's clock is fixed inside that.
constexpr int64_t kVerifyNow = 1798761600;  // 2027-01-01T00:00:00Z

[[noreturn]] void fail(const std::string& message) {
  std::cerr << "mpli-bench-credentials: " << message << "\n";
  std::exit(2);
}

template <typename T>
T must(mpli::Result<T> result, const std::string& what) {
  if (!result.is_ok()) fail(what + ": " + result.status().message());
  return std::move(result).value();
}

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) fail("cannot read " + path.string());
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::vector<std::string> read_lines(const std::filesystem::path& path) {
  std::vector<std::string> lines;
  std::istringstream in(read_file(path));
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) lines.push_back(line);
  }
  return lines;
}

// The trust service resolves did:web issuers once and keeps the keys; this cache plays that
// part: kid -> key, built once from keys.json, with the same issuer check DidKeyResolver makes.
class CachedKeyResolver : public KeyResolver {
 public:
  void add(const std::string& kid, PublicKey key) {
    keys_.insert_or_assign(kid, ResolvedKey{std::move(key), kid, ""});
  }
  mpli::Result<ResolvedKey> resolve(const KeyRequest& request) const override {
    auto it = keys_.find(request.kid);
    if (it == keys_.end() || split_did_url(request.kid).first != request.issuer) {
      return mpli::Status(mpli::StatusCode::kNotFound, "no cached key for kid " + request.kid);
    }
    return it->second;
  }

 private:
  std::unordered_map<std::string, ResolvedKey> keys_;
};

struct Options {
  std::string mode;
  std::string out;
  std::string tokens;
  std::string keys;
  std::string status;
  int count = 1000;
  double seconds = 5;
  int cpu = 0;
};

Options parse_options(int argc, char** argv) {
  if (argc < 2) {
    fail(
        "usage: mpli-bench-credentials generate --out DIR [--count N]\n"
        "       mpli-bench-credentials verify|profile --tokens FILE [--keys FILE] [--status FILE] "
        "[--seconds S] [--cpu N]");
  }
  Options options;
  options.mode = argv[1];
  for (int i = 2; i < argc; ++i) {
    std::string flag = argv[i];
    if (i + 1 >= argc) fail(flag + " needs a value");
    std::string value = argv[++i];
    if (flag == "--out") {
      options.out = value;
    } else if (flag == "--tokens") {
      options.tokens = value;
    } else if (flag == "--keys") {
      options.keys = value;
    } else if (flag == "--status") {
      options.status = value;
    } else if (flag == "--count") {
      options.count = std::stoi(value);
    } else if (flag == "--seconds") {
      options.seconds = std::stod(value);
    } else if (flag == "--cpu") {
      options.cpu = std::stoi(value);
    } else {
      fail("unknown flag " + flag);
    }
  }
  return options;
}

std::string date_time(int64_t unix_seconds) {
  std::time_t time = unix_seconds;
  std::tm utc{};
  gmtime_r(&time, &utc);
  char text[32];
  std::strftime(text, sizeof(text), "%Y-%m-%dT%H:%M:%SZ", &utc);
  return text;
}

// Writes es256.tokens, eddsa.tokens, keys.json (kid -> public JWK) and status_list.txt (the
// encodedList). Entry i of the list is revoked when i % 97 == 0, so both verifiers must find
// the same number of revoked credentials.
int generate(const Options& options) {
  if (options.out.empty() || options.count < 1) fail("generate needs --out DIR and --count N > 0");
  std::filesystem::create_directories(options.out);
  std::string bits(kStatusListMinimumBytes, '\0');
  nlohmann::json keys = nlohmann::json::object();
  uint64_t next_index = 0;
  for (auto [type, file] :
       {std::pair{KeyType::kP256, "es256.tokens"}, std::pair{KeyType::kEd25519, "eddsa.tokens"}}) {
    std::vector<SigningKey> issuers;
    std::vector<std::string> dids;
    std::vector<std::string> kids;
    for (int i = 0; i < kIssuersPerAlgorithm; ++i) {
      issuers.push_back(must(SigningKey::generate(type), "generate key"));
      dids.push_back(must(did_key_from_public_key(issuers.back().public_key()), "did:key"));
      kids.push_back(dids.back() + "#" + dids.back().substr(8));
      keys[kids.back()] = public_jwk(issuers.back().public_key());
    }
    std::ofstream out(std::filesystem::path(options.out) / file);
    for (int n = 0; n < options.count; ++n) {
      size_t issuer = static_cast<size_t>(n) % issuers.size();
      uint64_t index = next_index++;
      if (index >= bits.size() * 8) fail("--count is too large for one status list");
      if (index % 97 == 0)
        bits[index / 8] = static_cast<char>(bits[index / 8] | (0x80 >> (index % 8)));
      nlohmann::json credential = {
          {"@context",
           {"https://www.w3.org/ns/credentials/v2", "https://w3id.org/mpli/credentials/v1"}},
          {"id", "urn:uuid:bench-" + std::string(jose_algorithm(type)) + "-" + std::to_string(n)},
          {"type", {"VerifiableCredential", "ProviderComplianceCredential"}},
          {"issuer", dids[issuer]},
          {"validFrom", date_time(1735689600 + n)},   // 2025-01-01 + n s
          {"validUntil", date_time(2051222400 + n)},  // 2035-01-01 + n s
          {"credentialSubject",
           {{"id", "did:web:provider-" + std::to_string(n) + ".example"},
            {"legalName", "Provider " + std::to_string(n) + " GmbH"},
            {"country", "DE"},
            {"certification",
             {{"scheme", "ISO27001"}, {"certificate", "C-" + std::to_string(n)}}}}},
          {"credentialStatus",
           {{"id", std::string(kStatusListUrl) + "#" + std::to_string(index)},
            {"type", "BitstringStatusListEntry"},
            {"statusPurpose", "revocation"},
            {"statusListIndex", std::to_string(index)},
            {"statusListCredential", kStatusListUrl}}}};
      nlohmann::json header = {{"typ", "vc+jwt"}, {"kid", kids[issuer]}};
      out << must(issuers[issuer].sign(header, credential.dump()), "sign") << "\n";
    }
  }
  std::ofstream(std::filesystem::path(options.out) / "keys.json") << keys.dump(2) << "\n";
  std::ofstream(std::filesystem::path(options.out) / "status_list.txt")
      << must(encode_status_list(bits), "encode status list") << "\n";
  std::cout << nlohmann::json{{"out", options.out},
                              {"count_per_algorithm", options.count},
                              {"issuers_per_algorithm", kIssuersPerAlgorithm},
                              {"status_list_entries", bits.size() * 8}}
                   .dump()
            << "\n";
  return 0;
}

void pin_to_cpu(int cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  if (sched_setaffinity(0, sizeof(set), &set) != 0) fail("sched_setaffinity failed");
}

struct Fixture {
  std::vector<std::string> tokens;
  CachedKeyResolver resolver;
  StatusList status_list{""};
  std::string algorithm;
};

Fixture load(const Options& options) {
  if (options.tokens.empty()) fail("--tokens FILE is required");
  auto dir = std::filesystem::path(options.tokens).parent_path();
  Fixture fixture;
  fixture.tokens = read_lines(options.tokens);
  if (fixture.tokens.empty()) fail("no tokens in " + options.tokens);
  auto keys = must(
      parse_json_object(
          read_file(options.keys.empty() ? dir / "keys.json" : std::filesystem::path(options.keys)),
          "keys.json"),
      "keys.json");
  for (const auto& [kid, jwk] : keys.items()) {
    fixture.resolver.add(kid, must(public_key_from_jwk(jwk), "key " + kid));
  }
  std::string encoded = read_lines(options.status.empty() ? dir / "status_list.txt"
                                                          : std::filesystem::path(options.status))
                            .at(0);
  fixture.status_list = must(decode_status_list(encoded, size_t{16} << 20), "status list");
  auto header = must(parse_compact_jws(fixture.tokens[0]), "first token").header;
  fixture.algorithm = header.value("alg", "");
  return fixture;
}

// On a shared machine the wall clock also counts the neighbours' turns on the core; CPU time
// counts only ours (run.sh CLOCK=cpu).
double process_cpu_seconds() {
  timespec now{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &now);
  return static_cast<double>(now.tv_sec) + static_cast<double>(now.tv_nsec) / 1e9;
}

struct Outcome {
  bool verified = false;
  bool revoked = false;
};

// The whole check as the trust service makes it: verify_credential (parse, cached key,
// signature, typ, issuer and validity), then the status bit from the list held in memory.
Outcome verify_one(const CredentialVerifier& verifier, const StatusList& list,
                   std::string_view token) {
  auto verified = verifier.verify_credential(token);
  if (!verified.is_ok() || !verified->status) return {};
  if (verified->status->list_credential != kStatusListUrl) return {};
  auto bit = list.bit(verified->status->index, verified->status->size);
  if (!bit.is_ok()) return {};
  return {true, *bit != 0};
}

int verify(const Options& options) {
  pin_to_cpu(options.cpu);
  Fixture fixture = load(options);
  VerifyOptions verify_options;
  verify_options.now = kVerifyNow;
  CredentialVerifier verifier(fixture.resolver, verify_options);

  // One pass to check every token and warm caches; it counts failures and revocations.
  uint64_t failures = 0;
  uint64_t revoked = 0;
  for (const auto& token : fixture.tokens) {
    Outcome outcome = verify_one(verifier, fixture.status_list, token);
    failures += outcome.verified ? 0 : 1;
    revoked += outcome.revoked ? 1 : 0;
  }

  uint64_t verifications = 0;
  uint64_t loop_failures = 0;
  double cpu_start = process_cpu_seconds();
  auto start = Clock::now();
  auto deadline = start + std::chrono::duration<double>(options.seconds);
  auto now = start;
  size_t next = 0;
  while (now < deadline) {
    for (int i = 0; i < 64; ++i) {
      loop_failures +=
          verify_one(verifier, fixture.status_list, fixture.tokens[next]).verified ? 0 : 1;
      next = next + 1 == fixture.tokens.size() ? 0 : next + 1;
    }
    verifications += 64;
    now = Clock::now();
  }
  double elapsed = std::chrono::duration<double>(now - start).count();
  double cpu = process_cpu_seconds() - cpu_start;
  std::cout << nlohmann::json{{"implementation", "mpli"},
                              {"algorithm", fixture.algorithm},
                              {"tokens", fixture.tokens.size()},
                              {"key_resolution", "cached kid -> PublicKey map"},
                              {"failures", failures + loop_failures},
                              {"revoked", revoked},
                              {"verifications", verifications},
                              {"seconds", elapsed},
                              {"per_second", static_cast<double>(verifications) / elapsed},
                              {"cpu_seconds", cpu},
                              {"per_cpu_second", static_cast<double>(verifications) / cpu}}
                   .dump()
            << "\n";
  return failures + loop_failures == 0 ? 0 : 1;
}

// Microseconds per call of each stage. The machine is shared, so the stages take turns in
// short batches; the fastest batch of each is the cost without interference: a split measured one
// stage after another would mostly measure the neighbours' load.
int profile(const Options& options) {
  pin_to_cpu(options.cpu);
  Fixture fixture = load(options);
  VerifyOptions verify_options;
  verify_options.now = kVerifyNow;
  CredentialVerifier verifier(fixture.resolver, verify_options);
  std::vector<CompactJws> parsed;
  std::vector<PublicKey> keys;
  std::vector<KeyRequest> requests;
  for (const auto& token : fixture.tokens) {
    parsed.push_back(must(parse_compact_jws(token), "parse"));
    KeyRequest request;
    request.kid = parsed.back().header.value("kid", "");
    request.issuer = split_did_url(request.kid).first;
    keys.push_back(must(fixture.resolver.resolve(request), "resolve").key);
    requests.push_back(request);
  }
  // What `openssl speed` times: a context set up once per key, then only the verification
  // (ECDSA over the ready SHA-256 digest and a DER signature; Ed25519 one-shot).
  std::unordered_map<EVP_PKEY*, EVP_PKEY_CTX*> ecdsa_contexts;
  std::unordered_map<EVP_PKEY*, EVP_MD_CTX*> eddsa_contexts;
  std::vector<std::string> digests;
  std::vector<std::string> raw_signatures;
  for (size_t i = 0; i < parsed.size(); ++i) {
    EVP_PKEY* key = keys[i].evp();
    if (keys[i].type() == KeyType::kEd25519) {
      if (!eddsa_contexts.count(key)) {
        EVP_MD_CTX* context = EVP_MD_CTX_new();
        if (EVP_DigestVerifyInit(context, nullptr, nullptr, nullptr, key) != 1) fail("raw init");
        eddsa_contexts[key] = context;
      }
      digests.push_back(parsed[i].signing_input);
      raw_signatures.push_back(parsed[i].signature);
      continue;
    }
    if (!ecdsa_contexts.count(key)) {
      EVP_PKEY_CTX* context = EVP_PKEY_CTX_new(key, nullptr);
      if (EVP_PKEY_verify_init(context) != 1) fail("raw init");
      ecdsa_contexts[key] = context;
    }
    unsigned char digest[SHA256_DIGEST_LENGTH];
    SHA256(reinterpret_cast<const unsigned char*>(parsed[i].signing_input.data()),
           parsed[i].signing_input.size(), digest);
    digests.emplace_back(reinterpret_cast<const char*>(digest), sizeof(digest));
    const auto* rs = reinterpret_cast<const unsigned char*>(parsed[i].signature.data());
    ECDSA_SIG* signature = ECDSA_SIG_new();
    ECDSA_SIG_set0(signature, BN_bin2bn(rs, 32, nullptr), BN_bin2bn(rs + 32, 32, nullptr));
    unsigned char* der = nullptr;
    int length = i2d_ECDSA_SIG(signature, &der);
    raw_signatures.emplace_back(reinterpret_cast<const char*>(der), static_cast<size_t>(length));
    OPENSSL_free(der);
    ECDSA_SIG_free(signature);
  }
  auto raw_verify = [&](size_t i) {
    const auto* signature = reinterpret_cast<const unsigned char*>(raw_signatures[i].data());
    const auto* data = reinterpret_cast<const unsigned char*>(digests[i].data());
    EVP_PKEY* key = keys[i].evp();
    int verdict = keys[i].type() == KeyType::kEd25519
                      ? EVP_DigestVerify(eddsa_contexts[key], signature, raw_signatures[i].size(),
                                         data, digests[i].size())
                      : EVP_PKEY_verify(ecdsa_contexts[key], signature, raw_signatures[i].size(),
                                        data, digests[i].size());
    if (verdict != 1) fail("raw verification failed");
  };
  volatile size_t sink = 0;
  using Stage = std::function<void(size_t)>;
  std::vector<std::pair<std::string, Stage>> stages = {
      {"parse_compact_jws (base64url + header JSON)",
       [&](size_t i) { sink = sink + parse_compact_jws(fixture.tokens[i])->payload.size(); }},
      {"parse_claims_json",
       [&](size_t i) { sink = sink + parse_json_object(parsed[i].payload, "claims")->size(); }},
      {"resolve_cached",
       [&](size_t i) { sink = sink + fixture.resolver.resolve(requests[i])->key_id.size(); }},
      {"verify_signature",
       [&](size_t i) {
         sink =
             sink + verify_signature(keys[i], parsed[i].signing_input, parsed[i].signature).is_ok();
       }},
      {"verify_credential (no status lookup)",
       [&](size_t i) { sink = sink + verifier.verify_credential(fixture.tokens[i]).is_ok(); }},
      {"raw_openssl_verify (as openssl speed)", raw_verify},
      {"whole_verification",
       [&](size_t i) {
         sink = sink + verify_one(verifier, fixture.status_list, fixture.tokens[i]).verified;
       }},
  };
  constexpr size_t kBatch = 50;
  std::vector<std::vector<double>> batches(stages.size());
  size_t offset = 0;
  auto deadline = Clock::now() + std::chrono::duration<double>(options.seconds);
  while (Clock::now() < deadline) {
    for (size_t s = 0; s < stages.size(); ++s) {
      auto start = Clock::now();
      for (size_t k = 0; k < kBatch; ++k) stages[s].second((offset + k) % fixture.tokens.size());
      double per_call =
          std::chrono::duration<double, std::micro>(Clock::now() - start).count() / kBatch;
      batches[s].push_back(per_call);
    }
    offset = (offset + kBatch) % fixture.tokens.size();
  }
  for (auto& [key, context] : ecdsa_contexts) EVP_PKEY_CTX_free(context);
  for (auto& [key, context] : eddsa_contexts) EVP_MD_CTX_free(context);
  nlohmann::json best = nlohmann::json::object();
  nlohmann::json median = nlohmann::json::object();
  for (size_t s = 0; s < stages.size(); ++s) {
    std::sort(batches[s].begin(), batches[s].end());
    best[stages[s].first] = batches[s].front();
    median[stages[s].first] = batches[s][batches[s].size() / 2];
  }
  std::cout << nlohmann::json{{"algorithm", fixture.algorithm},
                              {"batches", batches[0].size()},
                              {"best_batch_microseconds_per_call", best},
                              {"median_batch_microseconds_per_call", median}}
                   .dump()
            << "\n";
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Options options = parse_options(argc, argv);
  if (options.mode == "generate") return generate(options);
  if (options.mode == "verify") return verify(options);
  if (options.mode == "profile") return profile(options);
  fail("unknown mode " + options.mode + " (generate, verify, profile)");
}
