#include "services/gateway/http/request_reader.h"

#include <catch2/catch.hpp>

using namespace mpli::gateway;
using State = RequestReader::State;

namespace {

RequestLimits small_limits() {
  RequestLimits limits;
  limits.max_head_bytes = 256;
  limits.max_body_bytes = 100;
  return limits;
}

// Feeds `bytes` in pieces of `piece` bytes, as a socket might deliver them.
size_t feed(RequestReader& reader, const std::string& bytes, size_t piece) {
  size_t used = 0;
  while (used < bytes.size() && reader.state() != State::kComplete &&
         reader.state() != State::kFailed) {
    used += reader.read(std::string_view(bytes).substr(used, piece));
  }
  return used;
}

}  // namespace

TEST_CASE("a request is read whole however its bytes are split") {
  const std::string wire =
      "POST /v1/providers?x=1 HTTP/1.1\r\nHost: h\r\nContent-Type: text/turtle\r\n"
      "Content-Length: 5\r\n\r\nhello";
  for (size_t piece : {size_t(1), size_t(2), size_t(7), wire.size()}) {
    INFO("pieces of " << piece);
    RequestReader reader(small_limits());
    CHECK(feed(reader, wire, piece) == wire.size());
    REQUIRE(reader.state() == State::kComplete);
    HttpRequest request = reader.take();
    CHECK(request.method == "POST");
    CHECK(request.path == "/v1/providers");
    CHECK(request.query == "x=1");
    CHECK(request.header("content-type") == "text/turtle");
    CHECK(request.body == "hello");
    CHECK(reader.state() == State::kIdle);
  }
}

TEST_CASE("bytes after a request are left for the next one") {
  RequestReader reader(small_limits());
  std::string two = "GET /a HTTP/1.1\r\n\r\nGET /b HTTP/1.1\r\n\r\n";
  size_t used = reader.read(two);
  REQUIRE(reader.state() == State::kComplete);
  CHECK(reader.take().path == "/a");
  CHECK(reader.read(std::string_view(two).substr(used)) == two.size() - used);
  REQUIRE(reader.state() == State::kComplete);
  CHECK(reader.take().path == "/b");
}

TEST_CASE("a bad Content-Length is 400 naming the header, never a crash") {
  for (const char* value : {"-1", "99999999999999999999", "abc", "1e3", "+5", "", "5, 6"}) {
    INFO("Content-Length: " << value);
    RequestReader reader(small_limits());
    reader.read(std::string("POST /x HTTP/1.1\r\nContent-Length: ") + value + "\r\n\r\n");
    REQUIRE(reader.state() == State::kFailed);
    CHECK(reader.problem().http_status == 400);
    CHECK(reader.problem().body["field"] == "Content-Length");
  }
  RequestReader repeated(small_limits());
  repeated.read("POST /x HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 3, 3\r\n\r\nabc");
  CHECK(repeated.state() == State::kComplete);  // the same value repeated is one length
}

TEST_CASE("a declared body over the limit is 413 once the head is in, before any body") {
  RequestReader reader(small_limits());
  reader.read("POST /x HTTP/1.1\r\nContent-Length: 101\r\n\r\n");
  REQUIRE(reader.state() == State::kFailed);
  CHECK(reader.problem().http_status == 413);
  CHECK(reader.problem().body["code"] == "too_large");
  CHECK(reader.problem().body["max_bytes"] == 100);
  RequestReader at_limit(small_limits());
  at_limit.read("POST /x HTTP/1.1\r\nContent-Length: 100\r\n\r\n");
  CHECK(at_limit.state() == State::kBody);
}

TEST_CASE("chunked bodies are decoded, and refused 413 as soon as they pass the limit") {
  RequestReader reader(small_limits());
  std::string wire =
      "POST /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
      "5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nTrailer: t\r\n\r\nGET";
  size_t used = feed(reader, wire, 3);
  REQUIRE(reader.state() == State::kComplete);
  CHECK(used == wire.size() - 3);
  CHECK(reader.take().body == "hello world");

  RequestReader big(small_limits());
  big.read("POST /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n50\r\n");
  REQUIRE(big.state() == State::kBody);
  big.read(std::string(0x50, 'a') + "\r\n20\r\n");
  REQUIRE(big.state() == State::kFailed);
  CHECK(big.problem().http_status == 413);

  RequestReader bad_size(small_limits());
  bad_size.read("POST /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n");
  CHECK(bad_size.problem().http_status == 400);
  RequestReader overlong(small_limits());
  overlong.read("POST /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabc\r\n");
  CHECK(overlong.problem().http_status == 400);
}

TEST_CASE("framing that could be read two ways is refused") {
  RequestReader both(small_limits());
  both.read("POST /x HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n");
  CHECK(both.problem().http_status == 400);
  RequestReader gzip(small_limits());
  gzip.read("POST /x HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n");
  CHECK(gzip.problem().http_status == 501);
  RequestReader old(small_limits());
  old.read("POST /x HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n");
  CHECK(old.problem().http_status == 400);
}

TEST_CASE("malformed request lines and headers are 400, an unknown version 505") {
  for (const char* line :
       {"GET\r\n\r\n", "GET /x\r\n\r\n", "GET  /x HTTP/1.1\r\n\r\n", "G(T /x HTTP/1.1\r\n\r\n",
        "GET x HTTP/1.1\r\n\r\n", "GET /x HTTP/1.1 extra\r\n\r\n", "GET /x FTP/1.1\r\n\r\n",
        "GET /x HTTP/1.1\r\nNo-Colon\r\n\r\n", "GET /x HTTP/1.1\r\nBad Name: v\r\n\r\n",
        "GET /x HTTP/1.1\r\nA: b\r\n folded\r\n\r\n"}) {
    INFO(line);
    RequestReader reader(small_limits());
    reader.read(line);
    REQUIRE(reader.state() == State::kFailed);
    CHECK(reader.problem().http_status == 400);
  }
  RequestReader two(small_limits());
  two.read("GET /x HTTP/2.0\r\n\r\n");
  CHECK(two.problem().http_status == 505);
}

TEST_CASE("a head that never ends is 431 once it passes the limit") {
  RequestReader reader(small_limits());
  reader.read("GET /x HTTP/1.1\r\n");
  CHECK(reader.state() == State::kHead);
  reader.read("X-Long: " + std::string(300, 'a'));
  REQUIRE(reader.state() == State::kFailed);
  CHECK(reader.problem().http_status == 431);
}

TEST_CASE("targets: absolute-form, asterisk-form, fragments, and empty lines before a request") {
  RequestReader reader(small_limits());
  reader.read("\r\n\r\nGET http://gw.example:8080/v1/offerings?q=a#frag HTTP/1.1\r\n\r\n");
  REQUIRE(reader.state() == State::kComplete);
  HttpRequest request = reader.take();
  CHECK(request.path == "/v1/offerings");
  CHECK(request.query == "q=a");
  reader.read("OPTIONS * HTTP/1.1\r\n\r\n");
  REQUIRE(reader.state() == State::kComplete);
  CHECK(reader.take().path == "*");
  reader.read("GET * HTTP/1.1\r\n\r\n");
  CHECK(reader.state() == State::kFailed);
}

TEST_CASE("bare LF line ends are accepted") {
  RequestReader reader(small_limits());
  reader.read("GET /x HTTP/1.1\nHost: h\n\n");
  REQUIRE(reader.state() == State::kComplete);
  CHECK(reader.take().header("host") == "h");
}

TEST_CASE("Expect: 100-continue is asked for once, and only when a body is to come") {
  RequestReader reader(small_limits());
  reader.read("POST /x HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n");
  CHECK(reader.take_continue_request());
  CHECK_FALSE(reader.take_continue_request());
  reader.read("ok");
  REQUIRE(reader.state() == State::kComplete);
  reader.take();
  reader.read("POST /x HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\nok");
  CHECK_FALSE(reader.take_continue_request());  // the body came with the head
  reader.take();
  reader.read("POST /x HTTP/1.1\r\nExpect: something-else\r\n\r\n");
  CHECK(reader.problem().http_status == 417);
}

TEST_CASE("whether the client wants the connection closed") {
  auto request_of = [](const std::string& wire) {
    RequestReader reader(small_limits());
    reader.read(wire);
    REQUIRE(reader.state() == State::kComplete);
    return reader.take();
  };
  CHECK_FALSE(request_of("GET / HTTP/1.1\r\n\r\n").wants_close());
  CHECK(request_of("GET / HTTP/1.1\r\nConnection: Close\r\n\r\n").wants_close());
  CHECK(request_of("GET / HTTP/1.0\r\n\r\n").wants_close());
  CHECK_FALSE(request_of("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n").wants_close());
}
