// Entity tags for the catalogue reads: a strong tag of the representation's bytes, and
// If-None-Match evaluated as RFC 9110 §13.1.2 says (weak comparison; "*" matches any).
#pragma once

#include <string>
#include <string_view>

#include "services/gateway/http/request_reader.h"
#include "services/gateway/http/response.h"

namespace mpli::gateway {

// "\"<first 16 bytes of SHA-256(body), hex>\"": strong, so it also changes with the media type.
std::string strong_etag(std::string_view body);

// Whether an If-None-Match field value matches `etag`: "*", or a listed tag whose opaque part
// equals `etag`'s (W/ prefixes ignored: weak comparison). A malformed list matches nothing.
bool if_none_match_matches(std::string_view header, std::string_view etag);

// For a GET or HEAD answered 200: adds the ETag (unless the answer has one already), and turns the
// answer into 304 Not Modified (no body; the ETag, Vary and Cache-Control kept) when the request's
// If-None-Match matches. Other methods and statuses are returned unchanged.
HttpResponse with_etag(const HttpRequest& request, HttpResponse response);

}  // namespace mpli::gateway
