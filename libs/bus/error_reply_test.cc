#include "libs/bus/error_reply.h"

#include <catch2/catch.hpp>

#include "mpli/common/v1/envelope.pb.h"

using namespace mpli;

TEST_CASE("an error reply carries the status code and message to the requester") {
  std::string body =
      bus::encode_error(Status(StatusCode::kNotFound, "no offering o-7", {{"field", "id"}}));
  Status decoded = bus::decode_error(body);
  CHECK(decoded.code() == StatusCode::kNotFound);
  CHECK(decoded.message() == "no offering o-7");
  CHECK(decoded.details().at("field") == "id");
}

TEST_CASE("an unreadable error body is an internal error, not a crash") {
  Status decoded = bus::decode_error(std::string("\xff\xff\xff", 3));
  CHECK(decoded.code() == StatusCode::kInternal);
}

TEST_CASE("only replies flagged by the status header are errors") {
  bus::Message reply;
  CHECK_FALSE(bus::is_error_reply(reply));
  reply.headers[bus::kStatusHeader] = "error";
  CHECK(bus::is_error_reply(reply));
}

TEST_CASE("every status code survives the trip across the bus") {
  for (int c = 1; c <= static_cast<int>(StatusCode::kAborted); ++c) {
    auto code = static_cast<StatusCode>(c);
    Status decoded = bus::decode_error(bus::encode_error(Status(code, "m")));
    CHECK(decoded.code() == code);
  }
}

TEST_CASE("reason, position, violations and retry-after travel as typed fields") {
  Status status(
      StatusCode::kInvalidArgument, "bad manifest",
      {{"reason", "MANIFEST_SYNTAX"}, {"line", "3"}, {"column", "25"}, {"problem", "syntax"}});
  status.with_violations({{"<s>", "<p>", "sh:MinCountConstraintComponent", "", "missing",
                           "Violation", 12, 5, "https://cloud.example/#vm-s"}});
  std::string body = bus::encode_error(status, "discovery");
  mpli::common::v1::Error wire;
  REQUIRE(wire.ParseFromString(body));
  CHECK(wire.code() == mpli::common::v1::Error::INVALID_ARGUMENT);
  CHECK(wire.reason() == "MANIFEST_SYNTAX");
  CHECK(wire.domain() == "discovery");
  CHECK(wire.line() == 3);
  CHECK(wire.column() == 25);
  CHECK(wire.details().at("problem") == "syntax");
  REQUIRE(wire.violations_size() == 1);
  CHECK(wire.violations(0).constraint() == "sh:MinCountConstraintComponent");
  CHECK(wire.violations(0).line() == 12);
  CHECK(wire.violations(0).column() == 5);
  CHECK(wire.violations(0).owner() == "https://cloud.example/#vm-s");

  Status decoded = bus::decode_error(body);
  CHECK(decoded.detail("line") == "3");
  CHECK(decoded.detail("reason") == "MANIFEST_SYNTAX");
  REQUIRE(decoded.violations().size() == 1);
  CHECK(decoded.violations()[0] == status.violations()[0]);

  Status busy_decoded =
      bus::decode_error(bus::encode_error(busy("pool", std::chrono::milliseconds(1500))));
  CHECK(busy_decoded.code() == StatusCode::kBusy);
  CHECK(busy_decoded.retry_after() == std::chrono::milliseconds(1500));
}

TEST_CASE("the domain of an error survives decoding and passing the error on") {
  Status status(StatusCode::kInvalidArgument, "bad manifest", {{"reason", "MANIFEST_SYNTAX"}});
  Status decoded = bus::decode_error(bus::encode_error(status, "discovery"));
  CHECK(decoded.detail("domain") == "discovery");
  CHECK(decoded.detail("reason") == "MANIFEST_SYNTAX");

  // A process relaying the error keeps its origin, also when its own endpoint answers with it:
  // the reason is discovery's, so the domain must stay discovery's.
  mpli::common::v1::Error relayed;
  REQUIRE(relayed.ParseFromString(bus::encode_error(decoded)));
  CHECK(relayed.domain() == "discovery");
  CHECK(relayed.details().count("domain") == 0);
  REQUIRE(relayed.ParseFromString(bus::encode_error(decoded, "resolver")));
  CHECK(relayed.domain() == "discovery");
  // An error of its own (no domain detail yet) is in the answering service's domain.
  REQUIRE(
      relayed.ParseFromString(bus::encode_error(Status(StatusCode::kNotFound, "x"), "resolver")));
  CHECK(relayed.domain() == "resolver");
}
