// Test fixtures for suites that need credentials on real components: a provider web site
// serving documents at paths, an issuer with its own key (did:key or did:web) that signs
// vc+jwt credentials, and the credential bodies the trust service knows (docs/credentials.md).
#pragma once

#include <catch2/catch.hpp>
#include <chrono>
#include <fstream>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "libs/credentials/credential_issuer.h"
#include "libs/credentials/did.h"
#include "libs/credentials/jwk.h"
#include "libs/credentials/jws.h"
#include "libs/testing/http_test_server.h"

namespace mpli::testing {

using nlohmann::json;

inline int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

inline std::string read_example(const std::string& name) {
  std::ifstream in(std::string(MPLI_SOURCE_DIR) + "/ontology/examples/" + name);
  REQUIRE(in);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

inline std::string replace_all(std::string text, const std::string& from, const std::string& to) {
  size_t at = 0;
  while ((at = text.find(from, at)) != std::string::npos) {
    text.replace(at, from.size(), to);
    at += to.size();
  }
  return text;
}

// A web site serving whatever documents the test puts at which paths.
struct Site {
  std::mutex mutex;
  std::map<std::string, std::pair<std::string, std::string>> documents;  // path -> body, type
  HttpTestServer server{[this](const HttpTestRequest& request) {
    std::lock_guard<std::mutex> lock(mutex);
    auto it = documents.find(request.path);
    if (it == documents.end()) {
      HttpTestResponse missing;
      missing.status = 404;
      missing.body = "not found";
      return missing;
    }
    return static_document(request, it->second.first, it->second.second);
  }};
  void put(const std::string& path, std::string body,
           const std::string& type = "application/vc+jwt") {
    std::lock_guard<std::mutex> lock(mutex);
    documents[path] = {std::move(body), type};
  }
  std::string base() { return server.url(""); }
};

// An issuer with a key: did:key, or did:web when `web_host` is given.
struct TestIssuer {
  credentials::SigningKey key;
  std::string did;
  std::string kid;

  static TestIssuer did_key(credentials::KeyType type) {
    auto key = credentials::SigningKey::generate(type);
    REQUIRE(key.is_ok());
    auto did = credentials::did_key_from_public_key(key->public_key());
    REQUIRE(did.is_ok());
    std::string kid = *did + "#" + did->substr(8);
    return TestIssuer{std::move(*key), *did, kid};
  }
  static TestIssuer did_web(credentials::KeyType type, const std::string& host) {
    auto key = credentials::SigningKey::generate(type);
    REQUIRE(key.is_ok());
    std::string did = "did:web:" + host;
    return TestIssuer{std::move(*key), did, did + "#key-1"};
  }
  json did_document() const {
    return {{"@context", {"https://www.w3.org/ns/did/v1"}},
            {"id", did},
            {"verificationMethod",
             {{{"id", kid},
               {"type", "JsonWebKey"},
               {"controller", did},
               {"publicKeyJwk", credentials::public_jwk(key.public_key())}}}},
            {"assertionMethod", {kid}}};
  }
  std::string issue(json credential, int64_t valid_until_offset = 365 * 24 * 3600) const {
    int64_t now = unix_now();
    credential["validFrom"] = credentials::xml_datetime(now - 3600);
    credential["validUntil"] = credentials::xml_datetime(now + valid_until_offset);
    auto token = credentials::issue_vc_jwt(key, did, kid, credential, now);
    REQUIRE(token.is_ok());
    return *token;
  }
};

inline json certification(const std::string& subject, const std::string& standard,
                          std::vector<std::string> covers = {}) {
  return {{"type", {"VerifiableCredential", "CertificationCredential"}},
          {"credentialSubject", {{"id", subject}, {"standard", standard}, {"covers", covers}}}};
}

inline json legal_person(const std::string& subject, const std::string& country) {
  return {
      {"type", {"VerifiableCredential", "gx:LegalPerson"}},
      {"credentialSubject", {{"id", subject}, {"gx:legalAddress", {{"gx:countryCode", country}}}}}};
}

}  // namespace mpli::testing
