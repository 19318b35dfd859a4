#include "libs/fetch/fetch_policy.h"

#include <catch2/catch.hpp>

#include "libs/fetch/fetch_error.h"

using namespace mpli;
using namespace mpli::fetch;

TEST_CASE("URLs must be https unless the policy allows http") {
  FetchPolicy strict;
  CHECK(check_url("https://hexacloud.example/.well-known/mpli.ttl", strict).is_ok());
  Status http = check_url("http://hexacloud.example/.well-known/mpli.ttl", strict);
  CHECK(http.code() == StatusCode::kInvalidArgument);
  CHECK(fetch_error_of(http) == FetchError::kSchemeRefused);
  CHECK(http.message().find("allow_http") != std::string::npos);  // what would allow it
  CHECK(http.message() == "URL: " + http.detail("problem"));
  CHECK(fetch_error_of(check_url("ftp://x.example/m.ttl", strict)) == FetchError::kSchemeRefused);
  CHECK(fetch_error_of(check_url("https://", strict)) == FetchError::kBadUrl);
  CHECK(check_url("https://", strict).detail("problem") == "has no host");
  CHECK(fetch_error_of(check_url("https://user:pw@x.example/m.ttl", strict)) ==
        FetchError::kBadUrl);
  CHECK(fetch_error_of(check_url("https://x.example/a b.ttl", strict)) == FetchError::kBadUrl);
  CHECK(fetch_error_of(check_url("https://x.example/" + std::string(2048, 'a'), strict)) ==
        FetchError::kBadUrl);
  FetchPolicy local;
  local.allow_http = true;
  CHECK(check_url("http://127.0.0.1:8081/.well-known/mpli.ttl", local).is_ok());
}

TEST_CASE("addresses are classified into the ranges the fetcher guards") {
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
  CHECK(fetch_error_of(refused) == FetchError::kAddressRefused);
  CHECK(refused.details().at("range") == "loopback");
  CHECK(refused.details().at("address") == "127.0.0.1");
  CHECK(refused.message().find("127.0.0.1, a loopback address") != std::string::npos);
  CHECK_FALSE(check_address("169.254.169.254", policy).is_ok());
  policy.allow_loopback = true;
  CHECK(check_address("127.0.0.1", policy).is_ok());
  CHECK_FALSE(check_address("10.0.0.1", policy).is_ok());
  CHECK_FALSE(check_address("0.0.0.0", policy).is_ok());
  CHECK(check_address("8.8.8.8", policy).is_ok());
  policy.allow_private = true;
  CHECK(check_address("10.0.0.1", policy).is_ok());
  CHECK(check_address("169.254.169.254", policy).is_ok());
  CHECK_FALSE(check_address("0.0.0.0", policy).is_ok());
  CHECK_FALSE(check_address("224.0.0.1", policy).is_ok());
}
