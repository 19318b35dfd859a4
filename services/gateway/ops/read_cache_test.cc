#include "services/gateway/ops/read_cache.h"

#include <catch2/catch.hpp>

#include "services/gateway/ops/etag.h"

using namespace mpli::gateway;
using namespace std::chrono_literals;

namespace {

HttpResponse ok(const std::string& body) {
  return {200, {{"Content-Type", "application/json"}}, body};
}

std::string header(const HttpResponse& response, const std::string& name) {
  for (const auto& [key, value] : response.headers) {
    if (key == name) return value;
  }
  return "";
}

}  // namespace

TEST_CASE("a kept answer is found with its ETag until it is max_age old") {
  ReadCache cache({1000ms, 16, 1 << 20});
  auto t0 = ReadCache::Clock::now();
  CHECK_FALSE(cache.find("k", t0));
  cache.store("k", cache.generation(), ok("{\"a\":1}"), t0);
  auto hit = cache.find("k", t0 + 999ms);
  REQUIRE(hit);
  CHECK(hit->body == "{\"a\":1}");
  CHECK(header(*hit, "ETag") == strong_etag("{\"a\":1}"));
  CHECK(header(*hit, "Content-Type") == "application/json");
  CHECK_FALSE(cache.find("k", t0 + 1000ms));
  CHECK(cache.entries() == 0);
}

TEST_CASE("invalidate forgets every answer, and an answer fetched before it is not kept") {
  ReadCache cache({1000ms, 16, 1 << 20});
  auto t0 = ReadCache::Clock::now();
  cache.store("a", cache.generation(), ok("1"), t0);
  uint64_t before = cache.generation();  // a read asks the service now...
  cache.invalidate();                    // ...the catalogue changes meanwhile...
  CHECK_FALSE(cache.find("a", t0));
  cache.store("b", before, ok("old"), t0);  // ...and its (old) answer must not be kept
  CHECK_FALSE(cache.find("b", t0));
  cache.store("b", cache.generation(), ok("new"), t0);
  REQUIRE(cache.find("b", t0));
  CHECK(cache.find("b", t0)->body == "new");
}

TEST_CASE("only 200 answers are kept, within the entry and byte budgets, least recently used out") {
  ReadCache cache({1000ms, 2, 10});
  auto t0 = ReadCache::Clock::now();
  cache.store("error", cache.generation(), {404, {}, "{}"}, t0);
  CHECK_FALSE(cache.find("error", t0));
  cache.store("huge", cache.generation(), ok("01234567890"), t0);  // 11 bytes > 10
  CHECK_FALSE(cache.find("huge", t0));

  cache.store("a", cache.generation(), ok("aaaa"), t0);
  cache.store("b", cache.generation(), ok("bbbb"), t0);
  CHECK(cache.find("a", t0));                            // a is now the most recently used
  cache.store("c", cache.generation(), ok("cccc"), t0);  // 2 entries at most: b goes
  CHECK(cache.find("a", t0));
  CHECK_FALSE(cache.find("b", t0));
  CHECK(cache.find("c", t0));
  cache.store("d", cache.generation(), ok("dddddddd"), t0);  // 8 bytes: a and c must go
  CHECK(cache.entries() == 1);
  CHECK(cache.find("d", t0));
  cache.store("d", cache.generation(), ok("dd"), t0);  // replaced, not added
  CHECK(cache.entries() == 1);
  CHECK(cache.find("d", t0)->body == "dd");
}

TEST_CASE("the key tells apart paths, queries and media types") {
  CHECK(read_cache_key("/v1/offerings", "kind=vm", "application/json") !=
        read_cache_key("/v1/offerings", "kind=db", "application/json"));
  CHECK(read_cache_key("/v1/offerings/x", "", "application/json") !=
        read_cache_key("/v1/offerings/x", "", "text/turtle"));
  CHECK(read_cache_key("/v1/providers", "", "application/json") !=
        read_cache_key("/v1/offerings", "", "application/json"));
}

TEST_CASE("with_etag keeps the tag a cached answer carries, and answers 304 by it") {
  HttpRequest request;
  request.method = "GET";
  HttpResponse cached = ok("body");
  cached.headers.emplace_back("ETag", "\"precomputed\"");
  HttpResponse answer = with_etag(request, cached);
  int tags = 0;
  for (const auto& [name, value] : answer.headers) tags += name == "ETag" ? 1 : 0;
  CHECK(tags == 1);
  CHECK(header(answer, "ETag") == "\"precomputed\"");
  request.headers.emplace_back("if-none-match", "\"precomputed\"");
  CHECK(with_etag(request, cached).status == 304);
}
