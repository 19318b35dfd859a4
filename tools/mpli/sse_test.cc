#include "tools/mpli/sse.h"

#include <catch2/catch.hpp>

using namespace mpli::cli;

TEST_CASE("sse: id, event and data make an event at the blank line") {
  SseParser parser;
  auto events = parser.feed("id: 7\nevent: discovery.v1.manifest_ingested\ndata: {\"a\":1}\n\n");
  REQUIRE(events.size() == 1);
  CHECK(events[0].id == "7");
  CHECK(events[0].type == "discovery.v1.manifest_ingested");
  CHECK(events[0].data == "{\"a\":1}");
  CHECK(parser.last_event_id() == "7");
}

TEST_CASE("sse: bytes split anywhere, CRLF and CR line ends, comments and retry ignored") {
  std::string stream =
      ": keep-alive\r\nretry: 3000\r\nid: 1\r\ndata: one\r\n\r\nid: 2\rdata: two\r\rdata: x\n\n";
  for (size_t split = 0; split <= stream.size(); ++split) {
    SseParser parser;
    auto events = parser.feed(stream.substr(0, split));
    auto rest = parser.feed(stream.substr(split));
    events.insert(events.end(), rest.begin(), rest.end());
    INFO("split at " << split);
    REQUIRE(events.size() == 3);
    CHECK(events[0].id == "1");
    CHECK(events[0].data == "one");
    CHECK(events[0].type == "message");
    CHECK(events[1].id == "2");
    CHECK(events[1].data == "two");
    // No id line: the last id carries over, as EventSource does.
    CHECK(events[2].id == "2");
    CHECK(events[2].data == "x");
  }
}

TEST_CASE("sse: several data lines join with a line break, and no data, no event") {
  SseParser parser;
  auto events = parser.feed("event: x\n\ndata: a\ndata:b\ndata\n\n");
  REQUIRE(events.size() == 1);
  CHECK(events[0].type == "message");  // the type of the dropped event does not carry over
  CHECK(events[0].data == "a\nb\n");
  CHECK(parser.feed("id: 9\ndata: partial").empty());
  CHECK(parser.last_event_id() == "9");
}
