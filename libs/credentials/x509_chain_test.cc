#include "libs/credentials/x509_chain.h"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <catch2/catch.hpp>
#include <memory>

#include "libs/credentials/testing/test_pki.h"

using namespace mpli::credentials;           // NOLINT: test file
using namespace mpli::credentials::testing;  // NOLINT: test file

constexpr int64_t kNow = kPkiNow;

namespace {

std::string reason(const mpli::Status& status) { return status.detail("reason"); }

}  // namespace

TEST_CASE("a leaf chains through an x5c intermediate to the configured root", "[x509]") {
  Pki pki;
  auto roots = pki.roots();
  REQUIRE(roots.fingerprints().size() == 1);
  CHECK(roots.fingerprints()[0].size() == 64);

  Key leaf_key = ed25519_key();
  CertSpec spec;
  spec.common_name = "issuer.example";
  spec.san = "URI:did:web:issuer.example,DNS:issuer.example";
  auto result = verify_chain(roots, pki.chain(spec, leaf_key.get()), kNow);
  REQUIRE(result.is_ok());
  CHECK(result->key.type() == KeyType::kEd25519);
  CHECK(result->trust_root == roots.fingerprints()[0]);
  CHECK(result->subject == "CN=issuer.example,O=MPLI test");
  CHECK(result->san_uris == std::vector<std::string>{"did:web:issuer.example"});
  CHECK(result->san_dns == std::vector<std::string>{"issuer.example"});

  Key p256 = p256_key();
  auto ec = verify_chain(roots, pki.chain(CertSpec{}, p256.get()), kNow);
  REQUIRE(ec.is_ok());
  CHECK(ec->key.type() == KeyType::kP256);
  CHECK(ec->key.spki_der() == PublicKey::adopt([&] {
                                EVP_PKEY_up_ref(p256.get());
                                return p256.get();
                              }())
                                  ->spki_der());
}

TEST_CASE("validity is judged at the given time, naming the date", "[x509]") {
  Pki pki;
  auto roots = pki.roots();
  Key key = ed25519_key();
  CertSpec expired;
  expired.not_before = kNow - 400 * kDay;
  expired.not_after = kNow - 10 * kDay;  // 2025-12-22
  auto chain = pki.chain(expired, key.get());
  auto refused = verify_chain(roots, chain, kNow);
  REQUIRE_FALSE(refused.is_ok());
  CHECK(reason(refused.status()) == "BAD_CERTIFICATE_CHAIN");
  CHECK_THAT(refused.status().message(),
             Catch::Contains("x5c[0]") && Catch::Contains("expired on 2025-12-22T00:00:00Z"));
  // The same chain was fine when it was in date: no wall clock involved.
  CHECK(verify_chain(roots, chain, kNow - 100 * kDay).is_ok());

  CertSpec future;
  future.not_before = kNow + 10 * kDay;
  auto early = verify_chain(roots, pki.chain(future, key.get()), kNow);
  REQUIRE_FALSE(early.is_ok());
  CHECK(reason(early.status()) == "BAD_CERTIFICATE_CHAIN");
  CHECK_THAT(early.status().message(), Catch::Contains("not valid before 2026-01-11"));

  // Expired CA certificates (root and intermediate here) fail the chain too.
  auto late = verify_chain(roots, pki.chain(CertSpec{}, key.get()), kNow + 4000 * kDay);
  REQUIRE_FALSE(late.is_ok());
  CHECK_THAT(late.status().message(), Catch::Contains("expired"));
}

TEST_CASE("a chain to a root that is not configured is refused", "[x509]") {
  Pki pki;
  Pki other;
  Key key = ed25519_key();
  auto refused = verify_chain(other.roots(), pki.chain(CertSpec{}, key.get()), kNow);
  REQUIRE_FALSE(refused.is_ok());
  CHECK(reason(refused.status()) == "BAD_CERTIFICATE_CHAIN");
  CHECK_THAT(refused.status().message(), Catch::Contains("unknown root"));

  // Sending the root itself in x5c does not make it trusted.
  auto chain = pki.chain(CertSpec{}, key.get());
  chain.push_back(der(pki.root.get()));
  auto with_root = verify_chain(other.roots(), chain, kNow);
  REQUIRE_FALSE(with_root.is_ok());
  CHECK(reason(with_root.status()) == "BAD_CERTIFICATE_CHAIN");

  // A leaf without its intermediate cannot reach the root.
  auto alone = verify_chain(pki.roots(), {pki.chain(CertSpec{}, key.get())[0]}, kNow);
  REQUIRE_FALSE(alone.is_ok());
  CHECK_THAT(alone.status().message(), Catch::Contains("unknown root"));
}

TEST_CASE("a leaf whose key usage excludes digitalSignature is refused", "[x509]") {
  Pki pki;
  Key key = p256_key();
  CertSpec spec;
  spec.key_usage = "critical,keyAgreement";
  auto refused = verify_chain(pki.roots(), pki.chain(spec, key.get()), kNow);
  REQUIRE_FALSE(refused.is_ok());
  CHECK(reason(refused.status()) == "BAD_CERTIFICATE_CHAIN");
  CHECK_THAT(refused.status().message(), Catch::Contains("digitalSignature"));

  spec.key_usage = "";  // no keyUsage at all: any use is allowed
  CHECK(verify_chain(pki.roots(), pki.chain(spec, key.get()), kNow).is_ok());
}

TEST_CASE("an intermediate that is not a CA cannot issue", "[x509]") {
  Pki pki;
  Key middle_key = ed25519_key();
  CertSpec middle_spec;
  middle_spec.common_name = "Not a CA";
  middle_spec.key_usage = "critical,digitalSignature,keyCertSign";
  Cert middle = make_cert(middle_spec, middle_key.get(), pki.root.get(), pki.root_key.get());
  Key leaf_key = ed25519_key();
  Cert leaf = make_cert(CertSpec{}, leaf_key.get(), middle.get(), middle_key.get());
  auto refused = verify_chain(pki.roots(), {der(leaf.get()), der(middle.get())}, kNow);
  REQUIRE_FALSE(refused.is_ok());
  CHECK(reason(refused.status()) == "BAD_CERTIFICATE_CHAIN");
  CHECK_THAT(refused.status().message(), Catch::Contains("x5c[1]"));
}

TEST_CASE("garbage, empty and oversized chains", "[x509]") {
  Pki pki;
  auto roots = pki.roots();
  auto garbage = verify_chain(roots, {"not a certificate"}, kNow);
  REQUIRE_FALSE(garbage.is_ok());
  CHECK(reason(garbage.status()) == "MALFORMED");
  CHECK_THAT(garbage.status().message(), Catch::Contains("x5c[0]"));

  Key key = ed25519_key();
  auto chain = pki.chain(CertSpec{}, key.get());
  chain[1] += "x";  // trailing byte after a valid certificate
  auto trailing = verify_chain(roots, chain, kNow);
  REQUIRE_FALSE(trailing.is_ok());
  CHECK(reason(trailing.status()) == "MALFORMED");
  CHECK_THAT(trailing.status().message(), Catch::Contains("x5c[1]"));

  auto empty = verify_chain(roots, {}, kNow);
  REQUIRE_FALSE(empty.is_ok());
  CHECK(reason(empty.status()) == "BAD_CERTIFICATE_CHAIN");

  std::vector<std::string> long_chain(kMaxChainCertificates + 1, der(pki.intermediate.get()));
  auto too_long = verify_chain(roots, long_chain, kNow);
  REQUIRE_FALSE(too_long.is_ok());
  CHECK(reason(too_long.status()) == "BAD_CERTIFICATE_CHAIN");

  auto too_big = verify_chain(roots, {std::string(kMaxChainBytes + 1, '\x30')}, kNow);
  REQUIRE_FALSE(too_big.is_ok());
  CHECK(reason(too_big.status()) == "BAD_CERTIFICATE_CHAIN");
}

TEST_CASE("configured roots: many in one PEM, CAs only", "[x509]") {
  Pki a;
  Pki b;
  auto both =
      CertificateRoots::from_pem(pem(a.root.get()) + "\n" + pem(b.root.get()) + pem(a.root.get()));
  REQUIRE(both.is_ok());
  CHECK(both->fingerprints().size() == 2);  // the repeat is dropped
  Key key = ed25519_key();
  auto from_a = verify_chain(*both, a.chain(CertSpec{}, key.get()), kNow);
  auto from_b = verify_chain(*both, b.chain(CertSpec{}, key.get()), kNow);
  REQUIRE(from_a.is_ok());
  REQUIRE(from_b.is_ok());
  CHECK(from_a->trust_root == both->fingerprints()[0]);
  CHECK(from_b->trust_root == both->fingerprints()[1]);

  // An issuing CA may be pinned on its own: it is an anchor even though not self-signed.
  auto pinned = CertificateRoots::from_pem(pem(a.intermediate.get()));
  REQUIRE(pinned.is_ok());
  auto via_pin = verify_chain(*pinned, a.chain(CertSpec{}, key.get()), kNow);
  REQUIRE(via_pin.is_ok());
  CHECK(via_pin->trust_root == pinned->fingerprints()[0]);

  Key leaf_key = ed25519_key();
  CertSpec leaf_spec;
  leaf_spec.common_name = "just a leaf";
  Cert self_signed_leaf = make_cert(leaf_spec, leaf_key.get(), nullptr, nullptr);
  auto not_ca = CertificateRoots::from_pem(pem(self_signed_leaf.get()));
  REQUIRE_FALSE(not_ca.is_ok());
  CHECK(not_ca.status().code() == mpli::StatusCode::kInvalidArgument);
  CHECK_THAT(not_ca.status().message(),
             Catch::Contains("just a leaf") && Catch::Contains("not a CA"));

  CHECK_FALSE(CertificateRoots::from_pem("").is_ok());
  CHECK_FALSE(CertificateRoots::from_pem("-----BEGIN CERTIFICATE-----\nAAAA\n"
                                         "-----END CERTIFICATE-----\n")
                  .is_ok());
  // A good root followed by a broken one is refused, not silently truncated.
  CHECK_FALSE(CertificateRoots::from_pem(pem(a.root.get()) + "-----BEGIN CERTIFICATE-----\nAAAA\n"
                                                             "-----END CERTIFICATE-----\n")
                  .is_ok());
}
