#include "services/gateway/http/response.h"

#include <catch2/catch.hpp>

using namespace mpli::gateway;

TEST_CASE("a response carries its length, and HEAD keeps the length but drops the body") {
  HttpResponse response{200, {{"Content-Type", "application/json"}}, "{\"a\":1}"};
  CHECK(serialize_response(response, false) ==
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 7\r\n\r\n{\"a\":1}");
  CHECK(serialize_response(response, true) ==
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 7\r\n\r\n");
}

TEST_CASE("304 has neither body nor length") {
  CHECK(serialize_response({304, {{"ETag", "\"a\""}}, ""}, false) ==
        "HTTP/1.1 304 Not Modified\r\nETag: \"a\"\r\n\r\n");
}

TEST_CASE("204 has neither body nor length") {
  CHECK(serialize_response({204, {{"Allow", "GET"}}, ""}, false) ==
        "HTTP/1.1 204 No Content\r\nAllow: GET\r\n\r\n");
}

TEST_CASE("chunked framing") {
  CHECK(serialize_chunked_head(200, {{"Content-Type", "text/turtle"}}) ==
        "HTTP/1.1 200 OK\r\nContent-Type: text/turtle\r\nTransfer-Encoding: chunked\r\n\r\n");
  CHECK(chunk(std::string(26, 'x')) == "1a\r\n" + std::string(26, 'x') + "\r\n");
  CHECK(chunk("") == "");  // an empty chunk would end the body early
  CHECK(last_chunk() == "0\r\n\r\n");
}

TEST_CASE("reason phrases") {
  CHECK(reason_phrase(413) == "Content Too Large");
  CHECK(reason_phrase(406) == "Not Acceptable");
  CHECK(reason_phrase(299) == "Unknown");
}
