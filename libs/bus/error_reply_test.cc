#include "libs/bus/error_reply.h"

#include <catch2/catch.hpp>

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
