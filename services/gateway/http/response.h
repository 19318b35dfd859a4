// HTTP/1.1 responses as bytes: status line, headers, framing (Content-Length or chunked).
// Pure, so the framing rules (HEAD has no body but keeps its length) are unit-tested.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace mpli::gateway {

using HeaderList = std::vector<std::pair<std::string, std::string>>;

struct HttpResponse {
  int status = 200;
  HeaderList headers;  // besides Content-Length, which serialize_response() adds
  std::string body;
};

// "Not Found" for 404; "Unknown" for a code this gateway never sends.
std::string_view reason_phrase(int status);

// The whole response with Content-Length: body.size(). `head_only` (a HEAD request) sends the
// same headers, length included, and no body (RFC 9110 §9.3.2).
std::string serialize_response(const HttpResponse& response, bool head_only);

// The head of a response whose body follows in chunks (Transfer-Encoding: chunked).
std::string serialize_chunked_head(int status, const HeaderList& headers);
// One chunk carrying `data`; "" for empty data, since an empty chunk would end the body.
std::string chunk(std::string_view data);
// The chunk that ends a chunked body.
std::string_view last_chunk();

}  // namespace mpli::gateway
