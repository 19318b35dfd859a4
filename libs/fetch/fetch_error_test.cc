#include "libs/fetch/fetch_error.h"

#include <catch2/catch.hpp>

using namespace mpli;
using namespace mpli::fetch;

TEST_CASE("each FetchError has a name, a StatusCode and survives the trip through a Status") {
  struct Expected {
    FetchError error;
    const char* name;
    StatusCode code;
  };
  const Expected all[] = {
      {FetchError::kBadUrl, "bad_url", StatusCode::kInvalidArgument},
      {FetchError::kSchemeRefused, "scheme_refused", StatusCode::kInvalidArgument},
      {FetchError::kAddressRefused, "address_refused", StatusCode::kPermissionDenied},
      {FetchError::kTooLarge, "too_large", StatusCode::kTooLarge},
      {FetchError::kTimeout, "timeout", StatusCode::kDeadlineExceeded},
      {FetchError::kFailed, "failed", StatusCode::kUnavailable},
      {FetchError::kShuttingDown, "shutting_down", StatusCode::kUnavailable},
  };
  for (const auto& expected : all) {
    CAPTURE(expected.name);
    CHECK(fetch_error_name(expected.error) == expected.name);
    CHECK(fetch_error_from_name(expected.name) == expected.error);
    CHECK(fetch_error_code(expected.error) == expected.code);
    Status status = fetch_error(expected.error, "why", {{"url", "https://x.example/"}});
    CHECK(status.code() == expected.code);
    CHECK(status.message() == "why");
    CHECK(status.detail(kFetchErrorKey) == expected.name);
    CHECK(status.detail("url") == "https://x.example/");
    CHECK(fetch_error_of(status) == expected.error);
  }
}

TEST_CASE("a Status that is not a fetch error carries no FetchError") {
  CHECK_FALSE(fetch_error_of(Status::ok()).has_value());
  CHECK_FALSE(fetch_error_of(unavailable("the database is down")).has_value());
  CHECK_FALSE(fetch_error_of(Status(StatusCode::kUnavailable, "x", {{kFetchErrorKey, "other"}}))
                  .has_value());
  CHECK_FALSE(fetch_error_from_name("").has_value());
}
