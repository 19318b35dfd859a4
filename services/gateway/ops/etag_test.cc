#include "services/gateway/ops/etag.h"

#include <catch2/catch.hpp>

using namespace mpli::gateway;

namespace {
HttpRequest get_with(const std::string& if_none_match, const std::string& method = "GET") {
  HttpRequest request;
  request.method = method;
  request.path = "/v1/offerings";
  if (!if_none_match.empty()) request.headers.emplace_back("if-none-match", if_none_match);
  return request;
}

std::string header_of(const HttpResponse& response, const std::string& name) {
  for (const auto& [key, value] : response.headers) {
    if (key == name) return value;
  }
  return "";
}
}  // namespace

TEST_CASE("a strong ETag is the quoted first 16 bytes of the body's SHA-256 in hex") {
  // SHA-256("abc") = ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad
  CHECK(strong_etag("abc") == "\"ba7816bf8f01cfea414140de5dae2223\"");
  CHECK(strong_etag("abc") != strong_etag("abd"));
}

TEST_CASE("If-None-Match matches by weak comparison, lists and *") {
  std::string tag = "\"0123abcd\"";
  CHECK(if_none_match_matches("\"0123abcd\"", tag));
  CHECK(if_none_match_matches("W/\"0123abcd\"", tag));
  CHECK(if_none_match_matches("\"other\", W/\"0123abcd\"", tag));
  CHECK(if_none_match_matches("  \"x\" ,\"0123abcd\"  ", tag));
  CHECK(if_none_match_matches("*", tag));
  CHECK_FALSE(if_none_match_matches("\"0123abce\"", tag));
  CHECK_FALSE(if_none_match_matches("0123abcd", tag));    // unquoted: malformed
  CHECK_FALSE(if_none_match_matches("\"0123abcd", tag));  // unterminated
  CHECK_FALSE(if_none_match_matches("\"x\" junk, \"0123abcd\"", tag));
  CHECK_FALSE(if_none_match_matches("", tag));
}

TEST_CASE("a GET with a matching If-None-Match is answered 304 without a body") {
  HttpResponse ok{200, {{"Content-Type", "application/json"}, {"Vary", "Accept"}}, "{\"a\":1}"};
  std::string tag = strong_etag(ok.body);

  HttpResponse fresh = with_etag(get_with(""), ok);
  CHECK(fresh.status == 200);
  CHECK(header_of(fresh, "ETag") == tag);
  CHECK(fresh.body == ok.body);

  HttpResponse not_modified = with_etag(get_with(tag), ok);
  CHECK(not_modified.status == 304);
  CHECK(not_modified.body.empty());
  CHECK(header_of(not_modified, "ETag") == tag);
  CHECK(header_of(not_modified, "Vary") == "Accept");
  CHECK(header_of(not_modified, "Content-Type").empty());
  CHECK(serialize_response(not_modified, false).find("Content-Length") == std::string::npos);

  CHECK(with_etag(get_with("\"stale\""), ok).status == 200);
  CHECK(with_etag(get_with(tag, "HEAD"), ok).status == 304);
}

TEST_CASE("only successful GET and HEAD answers get an ETag") {
  HttpResponse ok{200, {}, "x"};
  HttpResponse post = with_etag(get_with("*", "POST"), ok);
  CHECK(post.status == 200);
  CHECK(header_of(post, "ETag").empty());
  HttpResponse missing = with_etag(get_with("*"), HttpResponse{404, {}, "{}"});
  CHECK(missing.status == 404);
  CHECK(header_of(missing, "ETag").empty());
}
