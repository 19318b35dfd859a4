// Every way a bearer token is refused, and what a good one says about its caller.
#include "services/gateway/auth/token_verifier.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "libs/credentials/base64url.h"
#include "libs/credentials/jwk.h"
#include "libs/credentials/jws.h"
#include "services/gateway/auth/hub_key.h"

namespace mpli::gateway::auth {
namespace {

using credentials::KeyType;
using credentials::SigningKey;
using nlohmann::json;
using std::chrono::seconds;
using Clock = std::chrono::system_clock;

const Clock::time_point kNow = Clock::time_point(seconds(1'800'000'000));

SigningKey new_key(KeyType type = KeyType::kP256) {
  auto key = SigningKey::generate(type);
  REQUIRE(key);
  return std::move(key).value();
}

struct Hub {
  SigningKey key = new_key();
  TokenVerifier verifier = make_verifier();

  TokenVerifier make_verifier() const {
    auto keys = std::make_shared<FixedKeys>();
    keys->add(key_id(key.public_key()), key.public_key());
    return TokenVerifier({{"mpli", keys, "role", "tenant"}}, TokenRules{});
  }

  json claims() const {
    int64_t now = std::chrono::duration_cast<seconds>(kNow.time_since_epoch()).count();
    return {{"iss", "mpli"}, {"sub", "tenant:acme"}, {"aud", "mpli"},      {"iat", now},
            {"nbf", now},    {"exp", now + 3600},    {"role", "consumer"}, {"tenant", "acme"}};
  }

  std::string sign(const json& claims, const SigningKey& with) const {
    auto token = with.sign({{"typ", "JWT"}, {"kid", key_id(key.public_key())}}, claims.dump());
    REQUIRE(token);
    return *token;
  }
  std::string sign(const json& claims) const { return sign(claims, key); }
};

std::string reason_of(const Result<Caller>& result) {
  REQUIRE_FALSE(result);
  CHECK(result.status().code() == StatusCode::kUnauthenticated);
  return result.status().detail("reason");
}

std::string b64(const std::string& text) { return credentials::base64url_encode(text); }

}  // namespace

TEST_CASE("a hub token verifies and says who its caller is") {
  Hub hub;
  auto caller = hub.verifier.verify(hub.sign(hub.claims()), kNow);
  REQUIRE(caller);
  CHECK(caller->role == Role::kConsumer);
  CHECK(caller->tenant == "acme");
  CHECK(caller->subject == "tenant:acme");
  CHECK(caller->issuer == "mpli");
}

TEST_CASE("mint_token makes tokens the verifier accepts, for every role") {
  Hub hub;
  TokenRequest request;
  request.role = Role::kMarketplace;
  request.tenants = {"acme", "globex"};
  auto token = mint_token(hub.key, request, kNow);
  REQUIRE(token);
  auto caller = hub.verifier.verify(*token, kNow + seconds(10));
  REQUIRE(caller);
  CHECK(caller->role == Role::kMarketplace);
  CHECK(caller->tenants == std::vector<std::string>{"acme", "globex"});

  request = TokenRequest{};
  request.role = Role::kProvider;
  request.provider = "hexacloud";
  caller = hub.verifier.verify(*mint_token(hub.key, request, kNow), kNow);
  REQUIRE(caller);
  CHECK(caller->provider == "hexacloud");

  request = TokenRequest{};
  request.role = Role::kAdmin;
  caller = hub.verifier.verify(*mint_token(hub.key, request, kNow), kNow);
  REQUIRE(caller);
  CHECK(caller->role == Role::kAdmin);

  request.role = Role::kConsumer;  // no tenant
  CHECK_FALSE(mint_token(hub.key, request, kNow));
  request.role = Role::kProvider;  // no provider
  CHECK_FALSE(mint_token(hub.key, request, kNow));
}

TEST_CASE("expired and not yet valid tokens are refused, within 60 s of leeway") {
  Hub hub;
  json claims = hub.claims();
  int64_t now = claims["iat"];
  claims["exp"] = now - 30;
  CHECK(hub.verifier.verify(hub.sign(claims), kNow));  // inside the leeway
  claims["exp"] = now - 61;
  CHECK(reason_of(hub.verifier.verify(hub.sign(claims), kNow)) == kExpired);
  claims = hub.claims();
  claims["nbf"] = now + 30;
  CHECK(hub.verifier.verify(hub.sign(claims), kNow));
  claims["nbf"] = now + 61;
  CHECK(reason_of(hub.verifier.verify(hub.sign(claims), kNow)) == kNotYetValid);
  claims = hub.claims();
  claims.erase("exp");
  CHECK(reason_of(hub.verifier.verify(hub.sign(claims), kNow)) == kBadClaims);
}

// Found by fuzz/gateway_request: exp 1e300 was converted to int64_t, which is undefined
// behaviour (UBSan: "outside the range of representable values of type 'long'").
TEST_CASE("a time claim too far from now for any clock is refused, not converted") {
  Hub hub;
  for (const char* name : {"exp", "nbf"}) {
    for (json value : {json(1e300), json(-1e300), json(18446744073709551615u),
                       json(9223372036854775807), json(-9223372036854775807 - 1)}) {
      INFO(name << " " << value.dump());
      json claims = hub.claims();
      claims[name] = value;
      CHECK(reason_of(hub.verifier.verify(hub.sign(claims), kNow)) == kBadClaims);
    }
  }
  json claims = hub.claims();
  claims["exp"] = 1e15;  // the far end of what is still read as a time
  CHECK(hub.verifier.verify(hub.sign(claims), kNow));
}

TEST_CASE("a token whose signature does not verify is refused") {
  Hub hub;
  std::string token = hub.sign(hub.claims());
  SECTION("a changed payload") {
    json claims = hub.claims();
    claims["role"] = "admin";
    std::string forged = token.substr(0, token.find('.')) + "." + b64(claims.dump()) +
                         token.substr(token.rfind('.'));
    CHECK(reason_of(hub.verifier.verify(forged, kNow)) == kBadSignature);
  }
  SECTION("signed by another key under the hub's kid") {
    SigningKey other = new_key();
    CHECK(reason_of(hub.verifier.verify(hub.sign(hub.claims(), other), kNow)) == kBadSignature);
  }
  SECTION("signed by another key under its own kid") {
    SigningKey other = new_key();
    auto forged = other.sign({{"kid", key_id(other.public_key())}}, hub.claims().dump());
    REQUIRE(forged);
    CHECK(reason_of(hub.verifier.verify(*forged, kNow)) == kUnknownKey);
  }
}

TEST_CASE("alg none, HS256 with the public key as secret and other algorithms are refused") {
  Hub hub;
  std::string payload = b64(hub.claims().dump());
  std::string kid = key_id(hub.key.public_key());
  SECTION("none") {
    std::string token = b64(json{{"alg", "none"}, {"kid", kid}}.dump()) + "." + payload + ".";
    CHECK_FALSE(hub.verifier.verify(token, kNow));
    std::string with_sig =
        b64(json{{"alg", "none"}, {"kid", kid}}.dump()) + "." + payload + "." + b64("x");
    CHECK(reason_of(hub.verifier.verify(with_sig, kNow)) == kBadAlgorithm);
  }
  SECTION("HS256 keyed with the public key") {
    std::string input = b64(json{{"alg", "HS256"}, {"kid", kid}}.dump()) + "." + payload;
    for (std::string secret :
         {hub.key.public_key().spki_der(), credentials::public_jwk(hub.key.public_key()).dump()}) {
      unsigned char mac[EVP_MAX_MD_SIZE];
      unsigned int length = 0;
      HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
           reinterpret_cast<const unsigned char*>(input.data()), input.size(), mac, &length);
      std::string token =
          input + "." + b64(std::string(reinterpret_cast<const char*>(mac), length));
      CHECK(reason_of(hub.verifier.verify(token, kNow)) == kBadAlgorithm);
    }
  }
  SECTION("ES384 from a P-384 key") {
    SigningKey p384 = new_key(KeyType::kP384);
    auto token = p384.sign({{"kid", kid}}, hub.claims().dump());
    REQUIRE(token);
    CHECK(reason_of(hub.verifier.verify(*token, kNow)) == kBadAlgorithm);
  }
  SECTION("ES256 in the header over an EdDSA key's signature") {
    SigningKey ed = new_key(KeyType::kEd25519);
    std::string input = b64(json{{"alg", "ES256"}, {"kid", kid}}.dump()) + "." + payload;
    auto signature = ed.sign_bytes(input);
    REQUIRE(signature);
    CHECK(reason_of(hub.verifier.verify(input + "." + b64(*signature), kNow)) == kBadSignature);
  }
}

TEST_CASE("a token without a kid, or with one no issuer has, is refused") {
  Hub hub;
  auto no_kid = hub.key.sign(json::object(), hub.claims().dump());
  REQUIRE(no_kid);
  CHECK(reason_of(hub.verifier.verify(*no_kid, kNow)) == kUnknownKey);
  auto unknown = hub.key.sign({{"kid", "not-a-kid"}}, hub.claims().dump());
  REQUIRE(unknown);
  CHECK(reason_of(hub.verifier.verify(*unknown, kNow)) == kUnknownKey);
}

TEST_CASE("a token for another audience or from another issuer is refused") {
  Hub hub;
  json claims = hub.claims();
  claims["aud"] = "someone-else";
  CHECK(reason_of(hub.verifier.verify(hub.sign(claims), kNow)) == kWrongAudience);
  claims["aud"] = json::array({"someone-else", "mpli"});
  CHECK(hub.verifier.verify(hub.sign(claims), kNow));
  claims.erase("aud");
  CHECK(reason_of(hub.verifier.verify(hub.sign(claims), kNow)) == kWrongAudience);
  claims = hub.claims();
  claims["iss"] = "https://evil.example";
  CHECK(reason_of(hub.verifier.verify(hub.sign(claims), kNow)) == kUnknownIssuer);
}

TEST_CASE("malformed tokens are refused as malformed") {
  Hub hub;
  for (std::string token : {std::string(""), std::string("abc"), std::string("a.b"),
                            std::string("a.b.c.d"), std::string("!!.??.**"),
                            b64("{\"alg\":\"ES256\"}") + "." + b64("not json") + "." + b64("s"),
                            std::string(20000, 'a')}) {
    auto result = hub.verifier.verify(token, kNow);
    REQUIRE_FALSE(result);
    CHECK(result.status().code() == StatusCode::kUnauthenticated);
  }
  CHECK(reason_of(hub.verifier.verify("a.b", kNow)) == kMalformed);
}

TEST_CASE("a role's claims must be there and make sense") {
  Hub hub;
  json claims = hub.claims();
  claims["role"] = "root";
  CHECK(reason_of(hub.verifier.verify(hub.sign(claims), kNow)) == kBadClaims);
  claims = hub.claims();
  claims.erase("tenant");
  CHECK(reason_of(hub.verifier.verify(hub.sign(claims), kNow)) == kBadClaims);
  claims = hub.claims();
  claims["role"] = "provider";
  CHECK(reason_of(hub.verifier.verify(hub.sign(claims), kNow)) == kBadClaims);
  claims["provider"] = "hexacloud";
  CHECK(hub.verifier.verify(hub.sign(claims), kNow));
  claims = hub.claims();
  claims["role"] = "marketplace";
  claims["tenants"] = "acme";
  CHECK(reason_of(hub.verifier.verify(hub.sign(claims), kNow)) == kBadClaims);
}

TEST_CASE("an issuer's own claim names carry the role and the tenant") {
  SigningKey key = new_key();
  auto keys = std::make_shared<FixedKeys>();
  keys->add("k1", key.public_key());
  TokenVerifier verifier({{"https://idp.example", keys, "mpli_role", "mpli_tenant"}}, TokenRules{});
  int64_t now = std::chrono::duration_cast<seconds>(kNow.time_since_epoch()).count();
  json claims = {{"iss", "https://idp.example"},
                 {"aud", "mpli"},
                 {"exp", now + 60},
                 {"mpli_role", "consumer"},
                 {"mpli_tenant", "acme"}};
  auto caller = verifier.verify(*key.sign({{"kid", "k1"}}, claims.dump()), kNow);
  REQUIRE(caller);
  CHECK(caller->tenant == "acme");
  claims.erase("mpli_role");
  claims["role"] = "admin";  // the hub's claim name means nothing from this issuer
  CHECK_FALSE(verifier.verify(*key.sign({{"kid", "k1"}}, claims.dump()), kNow));
}

// Keys that count how often they are asked: a remembered token is not checked again.
class CountingKeys : public IssuerKeys {
 public:
  explicit CountingKeys(credentials::PublicKey key) : key_(std::move(key)) {}
  Result<credentials::PublicKey> key(const std::string& /*kid*/) const override {
    ++asked;
    if (withdrawn) return not_found("withdrawn");
    return key_;
  }
  mutable int asked = 0;
  bool withdrawn = false;

 private:
  credentials::PublicKey key_;
};

TEST_CASE("a token that verified is remembered until it expires or for the cache's max age") {
  SigningKey key = new_key();
  auto keys = std::make_shared<CountingKeys>(key.public_key());
  TokenRules rules;
  rules.cache_max_age = seconds(60);
  TokenVerifier verifier({{"mpli", keys, "role", "tenant"}}, rules);
  int64_t now = std::chrono::duration_cast<seconds>(kNow.time_since_epoch()).count();
  json claims = {{"iss", "mpli"},
                 {"aud", "mpli"},
                 {"exp", now + 3600},
                 {"role", "consumer"},
                 {"tenant", "acme"}};
  std::string token = *key.sign({{"kid", "k1"}}, claims.dump());

  REQUIRE(verifier.verify(token, kNow));
  REQUIRE(keys->asked == 1);
  auto again = verifier.verify(token, kNow + seconds(30));
  REQUIRE(again);
  CHECK(again->tenant == "acme");
  CHECK(keys->asked == 1);

  // The issuer withdraws its key: the remembered token is believed only up to the max age.
  keys->withdrawn = true;
  CHECK(verifier.verify(token, kNow + seconds(59)));
  CHECK(reason_of(verifier.verify(token, kNow + seconds(60))) == kUnknownKey);
  CHECK(keys->asked == 2);

  // A refusal is not remembered: the next attempt asks again.
  CHECK_FALSE(verifier.verify(token, kNow + seconds(61)));
  CHECK(keys->asked == 3);

  // Nor is a token believed past its exp and the leeway, however recently it verified.
  keys->withdrawn = false;
  claims["exp"] = now + 10;
  std::string short_lived = *key.sign({{"kid", "k1"}}, claims.dump());
  REQUIRE(verifier.verify(short_lived, kNow));
  CHECK(verifier.verify(short_lived, kNow + seconds(70)));  // exp + 60 s of leeway
  CHECK(reason_of(verifier.verify(short_lived, kNow + seconds(71))) == kExpired);

  // Nor when the clock is set back to before it verified.
  REQUIRE(verifier.verify(token, kNow + seconds(100)));
  int asked = keys->asked;
  CHECK(verifier.verify(token, kNow + seconds(99)));
  CHECK(keys->asked == asked + 1);
}

TEST_CASE("without a cache every request checks the token's signature") {
  SigningKey key = new_key();
  auto keys = std::make_shared<CountingKeys>(key.public_key());
  TokenRules rules;
  rules.cache_entries = 0;
  TokenVerifier verifier({{"mpli", keys, "role", "tenant"}}, rules);
  int64_t now = std::chrono::duration_cast<seconds>(kNow.time_since_epoch()).count();
  json claims = {{"iss", "mpli"}, {"aud", "mpli"}, {"exp", now + 3600}, {"role", "admin"}};
  std::string token = *key.sign({{"kid", "k1"}}, claims.dump());
  for (int i = 0; i < 3; ++i) CHECK(verifier.verify(token, kNow));
  CHECK(keys->asked == 3);
}

}  // namespace mpli::gateway::auth
