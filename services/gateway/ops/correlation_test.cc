#include "services/gateway/ops/correlation.h"

#include <catch2/catch.hpp>
#include <string>

#include "libs/core/ids.h"

using namespace mpli::gateway;

TEST_CASE("a sane client request id is kept as it is") {
  CHECK(correlation_id_for("abc-123_X.y") == "abc-123_X.y");
  std::string longest(128, 'a');
  CHECK(correlation_id_for(longest) == longest);
}

TEST_CASE("an insane or missing request id is replaced by a new UUIDv7") {
  for (std::string bad :
       {std::string(), std::string(129, 'a'), std::string("has space"), std::string("quote\""),
        std::string("new\nline"), std::string("{\"json\":1}"), std::string("caf\xc3\xa9")}) {
    INFO(bad);
    CHECK_FALSE(is_sane_request_id(bad));
    std::string id = correlation_id_for(bad);
    CHECK(id != bad);
    CHECK(mpli::ids::is_uuid(id));
  }
  CHECK(correlation_id_for("") != correlation_id_for(""));
}
