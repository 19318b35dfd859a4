// Reads HTTP/1.1 requests from a connection's bytes, incrementally and within limits, so that
// every malformed or oversized request is refused with a problem+json answer before a route
// runs: a bad Content-Length is 400, a declared body over the limit is 413 as soon as the head
// has arrived (not after the body), an endless head is 431.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "services/gateway/domain/problem.h"
#include "services/gateway/http/response.h"

namespace mpli::gateway {

struct HttpRequest {
  std::string method;     // case-sensitive, as sent: "GET"
  std::string target;     // the request target as sent
  std::string path;       // its path, still percent-encoded: "/v1/offerings/https%3A%2F%2F..."
  std::string query;      // its query without the '?', still encoded
  int minor_version = 1;  // HTTP/1.<minor_version>
  HeaderList headers;     // names lower-cased, values without surrounding whitespace
  std::string body;

  // The first value of `name` (lower-case), or "" when absent.
  std::string header(std::string_view name) const;
  // Whether the client asked to close the connection after this request (Connection: close,
  // or HTTP/1.0 without keep-alive).
  bool wants_close() const;
};

struct RequestLimits {
  size_t max_head_bytes = size_t{64} * 1024;        // request line and headers (and chunk trailers)
  size_t max_body_bytes = size_t{8} * 1024 * 1024;  // the body, after any chunked decoding
};

class RequestReader {
 public:
  explicit RequestReader(RequestLimits limits) : limits_(limits) {}

  enum class State {
    kIdle,      // nothing of a request yet
    kHead,      // part of a request line or headers
    kBody,      // the head is read; the body is arriving
    kComplete,  // take() it
    kFailed,    // problem() says why; the connection cannot be trusted any more
  };

  // Reads from `data` up to the end of the current request and returns how many bytes it used;
  // the rest belongs to the next request. Uses nothing once complete or failed.
  size_t read(std::string_view data);

  State state() const { return state_; }
  // True once, right after a head that expects "100-continue" for a body not yet sent.
  bool take_continue_request();
  // Valid in kFailed.
  const Problem& problem() const { return problem_; }
  // Valid in kComplete: the request; the reader starts over for the next one.
  HttpRequest take();

 private:
  size_t read_head(std::string_view data);
  size_t read_body(std::string_view data);
  size_t read_chunked(std::string_view data);
  bool parse_head(std::string_view head);
  bool fail(Problem problem);
  bool fail_status(int http_status, const std::string& detail);

  enum class ChunkState { kSize, kData, kDataEnd, kTrailers };

  RequestLimits limits_;
  State state_ = State::kIdle;
  std::string head_;
  HttpRequest request_;
  bool chunked_ = false;
  uint64_t body_remaining_ = 0;  // Content-Length bytes still to come
  ChunkState chunk_state_ = ChunkState::kSize;
  std::string chunk_line_;
  uint64_t chunk_remaining_ = 0;
  size_t trailer_bytes_ = 0;
  bool continue_requested_ = false;
  Problem problem_;
};

}  // namespace mpli::gateway
