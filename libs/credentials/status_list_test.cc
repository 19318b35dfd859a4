#include "libs/credentials/status_list.h"

#include <zlib.h>

#include <catch2/catch.hpp>

#include "libs/credentials/base64url.h"

using namespace mpli::credentials;  // NOLINT: test file

namespace {

constexpr size_t kLimit = 1 << 20;

// The encodedList of the Bitstring Status List examples (and of StatusList2021 before it):
// 16 KB of zeros, the spec's minimum size.
constexpr std::string_view kSpecExample =
    "uH4sIAAAAAAAAA-3BMQEAAADCoPVPbQwfoAAAAAAAAAAAAAAAAAAAAIC3AYbSVKsAQAAA";

StatusList decoded(std::string_view bytes) {
  auto encoded = encode_status_list(bytes);
  REQUIRE(encoded.is_ok());
  auto list = decode_status_list(*encoded, kLimit);
  REQUIRE(list.is_ok());
  return *list;
}

std::string reason(const mpli::Status& status) { return status.detail("reason"); }

}  // namespace

TEST_CASE("the spec's example list is 131,072 entries, none set", "[status_list]") {
  auto list = decode_status_list(kSpecExample, kLimit);
  REQUIRE(list.is_ok());
  CHECK(list->bytes().size() == kStatusListMinimumBytes);
  CHECK(list->bit_count() == 131072);
  CHECK(*list->bit(0) == 0);
  CHECK(*list->bit(94567) == 0);
  CHECK(*list->bit(131071) == 0);
  CHECK_FALSE(list->bit(131072).is_ok());
}

TEST_CASE("index 0 is the most significant bit of the first byte", "[status_list]") {
  auto list = decoded(std::string("\x80\x01\x00\x20", 4));
  CHECK(*list.bit(0) == 1);
  for (uint64_t i = 1; i < 15; ++i) CHECK(*list.bit(i) == 0);
  CHECK(*list.bit(15) == 1);  // least significant bit of byte 1
  CHECK(*list.bit(16) == 0);
  CHECK(*list.bit(26) == 1);  // 0x20 = bit 2 from the top of byte 3
  CHECK(*list.bit(31) == 0);
}

TEST_CASE("a set bit survives encode and decode at any position", "[status_list]") {
  std::string bytes(kStatusListMinimumBytes, '\0');
  const uint64_t index = 94567;
  bytes[index / 8] = static_cast<char>(0x80 >> (index % 8));
  auto encoded = encode_status_list(bytes);
  REQUIRE(encoded.is_ok());
  CHECK(encoded->front() == 'u');
  auto list = decode_status_list(*encoded, kLimit);
  REQUIRE(list.is_ok());
  CHECK(list->bytes() == bytes);
  CHECK(*list->bit(index) == 1);
  CHECK(*list->bit(index - 1) == 0);
  CHECK(*list->bit(index + 1) == 0);
}

TEST_CASE("statusSize 2 reads two bits per entry, high bit first", "[status_list]") {
  // 0b00'01'10'11, 0b11'00'00'00
  auto list = decoded(std::string("\x1b\xc0", 2));
  CHECK(*list.bit(0, 2) == 0);
  CHECK(*list.bit(1, 2) == 1);
  CHECK(*list.bit(2, 2) == 2);
  CHECK(*list.bit(3, 2) == 3);
  CHECK(*list.bit(4, 2) == 3);
  CHECK(*list.bit(7, 2) == 0);
  CHECK_FALSE(list.bit(8, 2).is_ok());
  CHECK(*list.bit(0, 8) == 0x1b);
  CHECK_FALSE(list.bit(0, 0).is_ok());
  CHECK_FALSE(list.bit(0, 33).is_ok());
}

TEST_CASE("an index beyond the list is malformed, even one that would overflow", "[status_list]") {
  auto list = decoded(std::string(2, '\xff'));
  auto beyond = list.bit(16);
  REQUIRE_FALSE(beyond.is_ok());
  CHECK(reason(beyond.status()) == "MALFORMED");
  CHECK_FALSE(list.bit(UINT64_MAX, 32).is_ok());
  CHECK_FALSE(list.bit(UINT64_MAX / 2, 4).is_ok());
}

TEST_CASE("a shorter list than the spec's minimum is still read", "[status_list]") {
  auto list = decode_status_list(*encode_status_list(std::string(1, '\x40')), kLimit);
  REQUIRE(list.is_ok());
  CHECK(*list->bit(1) == 1);
}

TEST_CASE("a GZIP bomb stops at the limit", "[status_list]") {
  auto bomb = encode_status_list(std::string(50 * 1024 * 1024, '\0'));  // ~50 KB compressed
  REQUIRE(bomb.is_ok());
  CHECK(bomb->size() < 100 * 1024);
  auto refused = decode_status_list(*bomb, kLimit);
  REQUIRE_FALSE(refused.is_ok());
  CHECK(reason(refused.status()) == "TOO_LARGE");
  // Exactly at the limit is fine.
  auto at_limit = decode_status_list(*encode_status_list(std::string(kLimit, '\0')), kLimit);
  CHECK(at_limit.is_ok());
}

TEST_CASE("encodedList errors are malformed and say what is wrong", "[status_list]") {
  std::string good(kSpecExample);
  auto no_prefix = decode_status_list(good.substr(1), kLimit);
  REQUIRE_FALSE(no_prefix.is_ok());
  CHECK(reason(no_prefix.status()) == "MALFORMED");
  CHECK_THAT(no_prefix.status().message(), Catch::Contains("multibase"));
  CHECK_FALSE(decode_status_list("z" + good.substr(1), kLimit).is_ok());  // base58btc
  CHECK_FALSE(decode_status_list("", kLimit).is_ok());

  auto bad_alphabet = decode_status_list("uH4sI+AAA", kLimit);
  REQUIRE_FALSE(bad_alphabet.is_ok());
  CHECK(reason(bad_alphabet.status()) == "MALFORMED");

  auto compressed = base64url_decode(good.substr(1));
  REQUIRE(compressed.is_ok());
  auto truncated = decode_status_list("u" + base64url_encode(compressed->substr(0, 30)), kLimit);
  REQUIRE_FALSE(truncated.is_ok());
  CHECK(reason(truncated.status()) == "MALFORMED");
  CHECK_THAT(truncated.status().message(), Catch::Contains("truncated"));

  // Without its CRC-32 and length trailer.
  auto no_trailer = decode_status_list(
      "u" + base64url_encode(compressed->substr(0, compressed->size() - 8)), kLimit);
  CHECK_FALSE(no_trailer.is_ok());

  std::string corrupt = *compressed;
  corrupt[corrupt.size() - 6] ^= 0x55;  // inside the CRC-32
  auto bad_crc = decode_status_list("u" + base64url_encode(corrupt), kLimit);
  REQUIRE_FALSE(bad_crc.is_ok());
  CHECK(reason(bad_crc.status()) == "MALFORMED");

  auto trailing = decode_status_list("u" + base64url_encode(*compressed + "xx"), kLimit);
  CHECK_FALSE(trailing.is_ok());

  // Plain zlib (not GZIP) is not what the spec says.
  auto not_gzip =
      decode_status_list("u" + base64url_encode("\x78\x9c\x03\x00\x00\x00\x00\x01"), kLimit);
  CHECK_FALSE(not_gzip.is_ok());
}

TEST_CASE("a BitstringStatusListEntry is read, index as string or number", "[status_list]") {
  auto entry = nlohmann::json::parse(R"({
    "id": "https://example.com/credentials/status/3#94567",
    "type": "BitstringStatusListEntry",
    "statusPurpose": "revocation",
    "statusListIndex": "94567",
    "statusListCredential": "https://example.com/credentials/status/3"
  })");
  auto ref = read_status_entry(entry);
  REQUIRE(ref.is_ok());
  CHECK(ref->index == 94567);
  CHECK(ref->purpose == "revocation");
  CHECK(ref->list_credential == "https://example.com/credentials/status/3");
  CHECK(ref->size == 1);

  entry["statusListIndex"] = 12;
  entry["statusSize"] = 2;
  ref = read_status_entry(entry);
  REQUIRE(ref.is_ok());
  CHECK(ref->index == 12);
  CHECK(ref->size == 2);
}

TEST_CASE("a bad status entry names its field", "[status_list]") {
  auto good = nlohmann::json::parse(R"({
    "type": "BitstringStatusListEntry", "statusPurpose": "suspension",
    "statusListIndex": "7", "statusListCredential": "https://example.com/status/1"})");
  auto field_of = [](const nlohmann::json& entry) {
    auto ref = read_status_entry(entry);
    REQUIRE_FALSE(ref.is_ok());
    CHECK(ref.status().detail("reason") == "MALFORMED");
    return ref.status().detail("field");
  };
  auto with = [&](const char* key, nlohmann::json value) {
    auto copy = good;
    if (value.is_null()) {
      copy.erase(key);
    } else {
      copy[key] = value;
    }
    return copy;
  };
  CHECK(field_of(with("type", "StatusList2021Entry")) == "credentialStatus.type");
  CHECK(field_of(with("statusPurpose", nullptr)) == "statusPurpose");
  CHECK(field_of(with("statusListIndex", nullptr)) == "statusListIndex");
  CHECK(field_of(with("statusListIndex", "12abc")) == "statusListIndex");
  CHECK(field_of(with("statusListIndex", "-1")) == "statusListIndex");
  CHECK(field_of(with("statusListIndex", -1)) == "statusListIndex");
  CHECK(field_of(with("statusListIndex", "007")) == "statusListIndex");
  CHECK(field_of(with("statusListIndex", "99999999999999999999999")) == "statusListIndex");
  CHECK(field_of(with("statusListIndex", 1.5)) == "statusListIndex");
  CHECK(field_of(with("statusListCredential", 3)) == "statusListCredential");
  CHECK(field_of(with("statusSize", 0)) == "statusSize");
  CHECK(field_of(with("statusSize", "2")) == "statusSize");
  CHECK(field_of(nlohmann::json::array()) == "credentialStatus");
}

TEST_CASE("a status list credential yields its purpose and encodedList", "[status_list]") {
  auto credential = nlohmann::json::parse(R"({
    "@context": ["https://www.w3.org/ns/credentials/v2"],
    "id": "https://example.com/credentials/status/3",
    "type": ["VerifiableCredential", "BitstringStatusListCredential"],
    "issuer": "did:example:12345",
    "validFrom": "2021-04-05T14:27:40Z",
    "credentialSubject": {
      "id": "https://example.com/status/3#list",
      "type": "BitstringStatusList",
      "statusPurpose": "revocation",
      "encodedList": "uH4sIAAAAAAAAA-3BMQEAAADCoPVPbQwfoAAAAAAAAAAAAAAAAAAAAIC3AYbSVKsAQAAA"
    }})");
  auto info = read_status_list_credential(credential);
  REQUIRE(info.is_ok());
  CHECK(info->purposes == std::vector<std::string>{"revocation"});
  CHECK(decode_status_list(info->encoded_list, kLimit).is_ok());

  credential["credentialSubject"]["statusPurpose"] = {"revocation", "suspension"};
  info = read_status_list_credential(credential);
  REQUIRE(info.is_ok());
  CHECK(info->purposes.size() == 2);

  auto refused_field = [](const nlohmann::json& c) {
    auto r = read_status_list_credential(c);
    REQUIRE_FALSE(r.is_ok());
    return r.status().detail("field");
  };
  auto wrong_type = credential;
  wrong_type["credentialSubject"]["type"] = "StatusList2021";
  CHECK(refused_field(wrong_type) == "credentialSubject.type");
  auto no_list = credential;
  no_list["credentialSubject"].erase("encodedList");
  CHECK(refused_field(no_list) == "credentialSubject.encodedList");
  auto bad_purpose = credential;
  bad_purpose["credentialSubject"]["statusPurpose"] = {"revocation", 3};
  CHECK(refused_field(bad_purpose) == "credentialSubject.statusPurpose");
  auto no_subject = credential;
  no_subject.erase("credentialSubject");
  CHECK(refused_field(no_subject) == "credentialSubject");
}
