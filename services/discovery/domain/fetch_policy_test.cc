#include "services/discovery/domain/fetch_policy.h"

#include <catch2/catch.hpp>

#include "services/discovery/domain/errors.h"

using namespace mpli;
using namespace mpli::discovery;

TEST_CASE("manifest URLs must be https unless the hub allows http") {
  FetchPolicy strict;
  CHECK(check_manifest_url("https://hexacloud.example/.well-known/mpli.ttl", strict).is_ok());
  Status http = check_manifest_url("http://hexacloud.example/.well-known/mpli.ttl", strict);
  CHECK(http.code() == StatusCode::kInvalidArgument);
  CHECK(http.details().at("field") == "manifest_url");
  CHECK(reason_of(http) == v1::SCHEME_REFUSED);
  CHECK(http.message().find("fetch.allow_http") != std::string::npos);  // what would allow it
  CHECK(reason_of(check_manifest_url("ftp://x.example/m.ttl", strict)) == v1::SCHEME_REFUSED);
  CHECK(reason_of(check_manifest_url("https://", strict)) == v1::BAD_MANIFEST_URL);
  CHECK_FALSE(check_manifest_url("ftp://x.example/m.ttl", strict).is_ok());
  CHECK_FALSE(check_manifest_url("https://", strict).is_ok());
  CHECK_FALSE(check_manifest_url("https://user:pw@x.example/m.ttl", strict).is_ok());
  CHECK_FALSE(check_manifest_url("https://x.example/a b.ttl", strict).is_ok());
  FetchPolicy local;
  local.allow_http = true;
  CHECK(check_manifest_url("http://127.0.0.1:8081/.well-known/mpli.ttl", local).is_ok());
}

TEST_CASE("a refused address says which range it is in") {
  Status refused = check_address("127.0.0.1", FetchPolicy{});
  CHECK(refused.code() == StatusCode::kPermissionDenied);
  CHECK(reason_of(refused) == v1::ADDRESS_REFUSED);
  CHECK(refused.detail("range") == "loopback");
}

TEST_CASE("addresses are classified into the ranges the crawler guards") {
  CHECK(classify_address("127.0.0.1") == AddressClass::kLoopback);
  CHECK(classify_address("127.255.0.9") == AddressClass::kLoopback);
  CHECK(classify_address("::1") == AddressClass::kLoopback);
  CHECK(classify_address("::ffff:127.0.0.1") == AddressClass::kLoopback);
  CHECK(classify_address("10.1.2.3") == AddressClass::kPrivate);
  CHECK(classify_address("172.16.0.1") == AddressClass::kPrivate);
  CHECK(classify_address("172.31.255.255") == AddressClass::kPrivate);
  CHECK(classify_address("172.32.0.1") == AddressClass::kPublic);
  CHECK(classify_address("192.168.1.1") == AddressClass::kPrivate);
  CHECK(classify_address("100.64.0.1") == AddressClass::kPrivate);
  CHECK(classify_address("169.254.169.254") == AddressClass::kLinkLocal);
  CHECK(classify_address("fe80::1") == AddressClass::kLinkLocal);
  CHECK(classify_address("fd00::1") == AddressClass::kPrivate);
  CHECK(classify_address("0.0.0.0") == AddressClass::kUnspecified);
  CHECK(classify_address("224.0.0.1") == AddressClass::kMulticast);
  CHECK(classify_address("8.8.8.8") == AddressClass::kPublic);
  CHECK(classify_address("2001:db8::1") == AddressClass::kPublic);
  CHECK(classify_address("not an address") == AddressClass::kReserved);
}

TEST_CASE("private targets are refused unless allowed, with the range named") {
  FetchPolicy policy;
  Status refused = check_address("127.0.0.1", policy);
  CHECK(refused.code() == StatusCode::kPermissionDenied);
  CHECK(refused.details().at("range") == "loopback");
  CHECK(refused.message().find("127.0.0.1, a loopback address") != std::string::npos);
  CHECK_FALSE(check_address("169.254.169.254", policy).is_ok());
  policy.allow_loopback = true;
  CHECK(check_address("127.0.0.1", policy).is_ok());
  CHECK_FALSE(check_address("10.0.0.1", policy).is_ok());
  CHECK_FALSE(check_address("0.0.0.0", policy).is_ok());
  CHECK(check_address("8.8.8.8", policy).is_ok());
}

TEST_CASE("refresh delay: interval with jitter, doubling per failure up to the cap") {
  FetchPolicy policy;
  policy.refresh_interval = std::chrono::minutes(60);
  policy.max_backoff = std::chrono::hours(6);
  policy.jitter = 0.1;
  CHECK(next_refresh_delay(policy, 0, 0.5) == std::chrono::minutes(60));
  CHECK(next_refresh_delay(policy, 0, 0.0) == std::chrono::minutes(54));
  CHECK(next_refresh_delay(policy, 1, 0.5) == std::chrono::minutes(120));
  CHECK(next_refresh_delay(policy, 2, 0.5) == std::chrono::minutes(240));
  CHECK(next_refresh_delay(policy, 10, 0.5) == std::chrono::hours(6));
  CHECK(next_refresh_delay(policy, 1000, 0.5) == std::chrono::hours(6));
}
