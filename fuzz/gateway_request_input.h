// One fuzz input through the gateway's parsers of what a client sends: JSON request bodies,
// query strings, the headers and path segments a route reads, a whole HTTP/1.1 request and a
// bearer token. Built into the libFuzzer target (gateway_request_fuzz.cc) and the corpus replay
// ctest runs (gateway_request_replay.cc).
#pragma once

#include <string_view>

namespace mpli::fuzz {

// The first byte picks what the rest is (fuzz/corpus/gateway_request/ has one seed or more of
// each); where a parser takes two inputs, the rest's first line is the query string or header
// and what follows it the body.
//   'o' POST /v1/orders body          'm' PATCH /v1/orders/{id} body
//   'g' POST /v1/migrations body      'j' POST /v1/resolutions JSON (query \n body)
//   't' POST /v1/resolutions Turtle (query \n body)
//   's' POST /v1/credentials JSON     'k' the same, a raw token (Content-Type \n body)
//   'a' PUT /v1/trust/anchors (If-Match \n body)
//   'i' POST /v1/credentials/issue (query \n body)
//   'q' a query string through every route's parameter parser (query \n Last-Event-ID)
//   'h' a header or path segment through the parsers of those (Idempotency-Key, rank, ...)
//   'r' bytes of HTTP/1.1 requests through the RequestReader, each complete request's body and
//       query through the parsers its Content-Type routes it to
//   'b' a bearer token through the TokenVerifier, and the rest as the claims of a token signed
//       with the verifier's own key
// Any other first byte: the rest through every body parser. Returns normally on any input; a
// crash, a hang or a sanitizer report is a finding.
void check_gateway_request_input(std::string_view bytes);

}  // namespace mpli::fuzz
