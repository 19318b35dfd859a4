#include "services/discovery/domain/fetch_policy.h"

#include <catch2/catch.hpp>

#include "libs/fetch/fetch_error.h"
#include "services/discovery/domain/errors.h"

using namespace mpli;
using namespace mpli::discovery;
using fetch::FetchError;

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
  CHECK(check_manifest_url("https://", strict).message() == "manifest_url: has no host");
  CHECK_FALSE(check_manifest_url("ftp://x.example/m.ttl", strict).is_ok());
  CHECK_FALSE(check_manifest_url("https://", strict).is_ok());
  CHECK_FALSE(check_manifest_url("https://user:pw@x.example/m.ttl", strict).is_ok());
  CHECK_FALSE(check_manifest_url("https://x.example/a b.ttl", strict).is_ok());
  FetchPolicy local;
  local.guards.allow_http = true;
  CHECK(check_manifest_url("http://127.0.0.1:8081/.well-known/mpli.ttl", local).is_ok());
}

TEST_CASE("a refused address says which range it is in") {
  Status refused =
      manifest_fetch_error(fetch::check_address("127.0.0.1", {}), "https://x.example/m.ttl");
  CHECK(refused.code() == StatusCode::kPermissionDenied);
  CHECK(reason_of(refused) == v1::ADDRESS_REFUSED);
  CHECK(refused.detail("range") == "loopback");
  CHECK(refused.detail("address") == "127.0.0.1");
  CHECK(refused.detail("field") == "manifest_url");
  CHECK(refused.message().find("127.0.0.1, a loopback address") != std::string::npos);
}

TEST_CASE("each FetchError becomes discovery's reason with the same code and no library details") {
  const std::string url = "https://x.example/m.ttl";
  struct Expected {
    Status failed;
    v1::ErrorReason reason;
  };
  const Expected all[] = {
      {fetch::fetch_error(FetchError::kBadUrl, "URL: has no host", {{"problem", "has no host"}}),
       v1::BAD_MANIFEST_URL},
      {fetch::fetch_error(FetchError::kSchemeRefused, "redirect", {{"url", url}}),
       v1::SCHEME_REFUSED},
      {fetch::fetch_error(FetchError::kAddressRefused, "unsupported address family"),
       v1::ADDRESS_REFUSED},
      {fetch::fetch_error(FetchError::kTooLarge, "big", {{"max_bytes", "1024"}}),
       v1::MANIFEST_TOO_LARGE},
      {fetch::fetch_error(FetchError::kTimeout, "slow", {{"timeout_ms", "1000"}}),
       v1::FETCH_TIMEOUT},
      {fetch::fetch_error(FetchError::kFailed, "HTTP 404 from " + url, {{"http_status", "404"}}),
       v1::FETCH_FAILED},
      {fetch::fetch_error(FetchError::kShuttingDown, "stopping")
           .with_retry_after(std::chrono::seconds(1)),
       v1::SHUTTING_DOWN},
  };
  for (const auto& expected : all) {
    CAPTURE(expected.failed.to_string());
    Status mapped = manifest_fetch_error(expected.failed, url);
    CHECK(reason_of(mapped) == expected.reason);
    CHECK(mapped.code() == expected.failed.code());
    CHECK(mapped.detail(fetch::kFetchErrorKey).empty());
    CHECK(mapped.detail("url").empty());
    CHECK(mapped.retry_after() == expected.failed.retry_after());
    if (expected.reason != v1::SHUTTING_DOWN) CHECK(mapped.detail("field") == "manifest_url");
  }
  Status too_large = manifest_fetch_error(
      fetch::fetch_error(FetchError::kTooLarge, "", {{"max_bytes", "1024"}}), url);
  CHECK(too_large.message() ==
        "manifest at " + url + " is larger than 1024 bytes (manifest.max_bytes)");
  Status timeout = manifest_fetch_error(
      fetch::fetch_error(FetchError::kTimeout, "", {{"timeout_ms", "1000"}}), url);
  CHECK(timeout.message() == "manifest at " + url + " was not fetched within 1000 ms");
  Status elsewhere = internal_error("curl_easy_init failed");
  CHECK(manifest_fetch_error(elsewhere, url).to_string() == elsewhere.to_string());
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
