// The REST shapes of /v1/resolutions: a POSTed manifest (Turtle, or JSON with inline
// credentials) and its query string into a resolver.v1.ResolveRequest (each bad input a
// kInvalidArgument naming its field), and resolver.v1 replies into the JSON the gateway answers.
// Pure: no bus, no sockets.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "libs/core/status.h"
#include "mpli/resolver/v1/resolver.pb.h"

namespace mpli::gateway {

// What the gateway asks for when the client says nothing. Always sent, so the resolver never has
// to read 0 as "unset": an explain_limit of 0 the client asked for means "list none".
inline constexpr int kDefaultTopK = 10;
inline constexpr int kMaxTopK = 100;
inline constexpr int kDefaultExplainLimit = 20;
inline constexpr int kMaxExplainLimit = 1000;

// POST /v1/resolutions with Content-Type text/turtle: the body is the consumer manifest;
// `params` (the query string) may hold top_k (1..100) and explain_limit (0..1000). An empty
// body is refused with field "body"; an unknown or malformed parameter is refused naming it.
Result<resolver::v1::ResolveRequest> resolve_request_from_turtle(
    std::string_view body, const std::map<std::string, std::string>& params);

// POST /v1/resolutions with Content-Type application/json: {"manifest": "<turtle>",
// "credentials": [{"token": "...", "media_type": "..."}], "top_k": 10, "explain_limit": 20}.
// Only manifest is required. Unknown members are refused; so are query parameters (the JSON
// body says everything, and two places for top_k would be one too many).
Result<resolver::v1::ResolveRequest> resolve_request_from_json(
    std::string_view body, const std::map<std::string, std::string>& params);

// The {rank} of POST /v1/resolutions/{id}/answers/{rank}/recheck: 1..100.
Result<int> answer_rank(std::string_view text);

// "/v1/resolutions/<id>", the id percent-encoded (a resolver id never needs it; a hostile one
// must not split the header or the path).
std::string resolution_location(std::string_view id);

// Every field of resolver.v1.Resolution with its proto name, always present: empty lists as [],
// the int64 counts as JSON numbers (not the strings of protobuf's JSON mapping), and
// `diagnosis` null when the resolver set none (a satisfiable resolution).
nlohmann::json resolution_to_json(const resolver::v1::Resolution& resolution);
// resolution_to_json's JSON as text, written without the tree (what the routes send).
std::string resolution_to_json_text(const resolver::v1::Resolution& resolution);

// {"holds", "reasons", "answer", "monthly_price_now"}; `answer` null when the resolver sent none.
nlohmann::json recheck_reply_to_json(const resolver::v1::RecheckAnswerReply& reply);

}  // namespace mpli::gateway
