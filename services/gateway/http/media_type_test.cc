#include "services/gateway/http/media_type.h"

#include <catch2/catch.hpp>

using namespace mpli::gateway;

namespace {
const std::vector<std::string> kOffering = {"application/json", "text/turtle"};
}

TEST_CASE("no Accept header, or a wildcard, gets the server's first choice") {
  CHECK(negotiate("", kOffering) == "application/json");
  CHECK(negotiate("*/*", kOffering) == "application/json");
  CHECK(negotiate("*", kOffering) == "application/json");
}

TEST_CASE("the client's weights decide, the most specific range weighing each type") {
  CHECK(negotiate("text/turtle", kOffering) == "text/turtle");
  CHECK(negotiate("Text/Turtle; charset=utf-8", kOffering) == "text/turtle");
  CHECK(negotiate("application/json;q=0.5, text/turtle", kOffering) == "text/turtle");
  CHECK(negotiate("text/*, application/json;q=0.9", kOffering) == "text/turtle");
  CHECK(negotiate("*/*;q=0.1, text/turtle;q=0", kOffering) == "application/json");
  // Browsers: HTML first, anything else at a lower weight.
  CHECK(negotiate("text/html,application/xhtml+xml,*/*;q=0.8", kOffering) == "application/json");
}

TEST_CASE("nothing acceptable is nullopt (406)") {
  CHECK_FALSE(negotiate("text/html", kOffering).has_value());
  CHECK_FALSE(negotiate("application/json;q=0", kOffering).has_value());
  CHECK_FALSE(negotiate("text/csv, image/*", kOffering).has_value());
}

TEST_CASE("unreadable ranges are ignored, not fatal") {
  CHECK(negotiate("garbage, text/turtle", kOffering) == "text/turtle");
  CHECK(negotiate("text/turtle;q=2, application/json", kOffering) == "application/json");
}

TEST_CASE("the media type of a Content-Type value") {
  CHECK(media_type_of("Text/Turtle; charset=utf-8") == "text/turtle");
  CHECK(media_type_of("application/json") == "application/json");
  CHECK(media_type_of("json") == "");
  CHECK(media_type_of("") == "");
}
