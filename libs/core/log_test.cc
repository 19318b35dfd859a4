#include "libs/core/log.h"

#include <catch2/catch.hpp>
#include <iostream>
#include <sstream>

#include "libs/core/ids.h"
#include "libs/core/status.h"

using namespace mpli;

TEST_CASE("each log line is one JSON object with service, level, message and correlation id") {
  std::ostringstream out;
  log::init("discovery", log::Level::kInfo, &out);
  {
    log::CorrelationScope scope("corr-1");
    log::info("manifest fetched", {{"provider", "p1"}, {"bytes", 42}});
  }
  log::debug("dropped below the minimum level");
  log::warn("line with \"quotes\"\nand a newline");

  std::istringstream lines(out.str());
  std::string first;
  std::string second;
  std::string third;
  REQUIRE(std::getline(lines, first));
  REQUIRE(std::getline(lines, second));
  CHECK_FALSE(std::getline(lines, third));

  auto a = nlohmann::json::parse(first);
  CHECK(a["service"] == "discovery");
  CHECK(a["level"] == "info");
  CHECK(a["msg"] == "manifest fetched");
  CHECK(a["correlation_id"] == "corr-1");
  CHECK(a["provider"] == "p1");
  CHECK(a["bytes"] == 42);
  CHECK(a["ts"].get<std::string>().size() == 24);

  auto b = nlohmann::json::parse(second);
  CHECK(b["level"] == "warn");
  CHECK_FALSE(b.contains("correlation_id"));  // the scope ended
  CHECK(b["msg"] == "line with \"quotes\"\nand a newline");
  log::init("test", log::Level::kInfo, &std::cerr);
}

TEST_CASE("UUIDv7 ids are well formed, versioned and ordered by time") {
  std::string a = ids::new_uuid_v7();
  std::string b = ids::new_uuid_v7();
  CHECK(ids::is_uuid(a));
  CHECK(a[14] == '7');
  CHECK(a != b);
  CHECK(a.substr(0, 8) <= b.substr(0, 8));
  CHECK_FALSE(ids::is_uuid("not-a-uuid"));
}

TEST_CASE("status codes round-trip by name") {
  for (auto code : {StatusCode::kInvalidArgument, StatusCode::kNotFound, StatusCode::kUnavailable,
                    StatusCode::kDeadlineExceeded, StatusCode::kFailedPrecondition}) {
    CHECK(status_code_from_name(status_code_name(code)) == code);
  }
  CHECK_FALSE(status_code_from_name("bogus").has_value());
  Status s = not_found("no provider p9");
  CHECK(s.to_string() == "not_found: no provider p9");
  Result<int> r = s;
  CHECK_FALSE(r.is_ok());
  CHECK(r.status().code() == StatusCode::kNotFound);
}
