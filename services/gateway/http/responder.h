// What a route handler works with: the request it serves (path parameters decoded, the answer's
// media type negotiated) and a Responder that answers it exactly once, from whatever thread the
// handler runs on. No Pistache here: the server implements ResponseSink over its connections.
#pragma once

#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "libs/core/status.h"
#include "services/gateway/domain/problem.h"
#include "services/gateway/http/request_reader.h"
#include "services/gateway/http/response.h"

namespace mpli::gateway {

struct RouteRequest {
  HttpRequest http;
  std::map<std::string, std::string> parameters;  // ":id" -> "hexacloud", percent-decoded
  std::string media_type;      // the negotiated answer type, "" for routes that declare none
  std::string pattern;         // the route as registered: "/v1/providers/:id"
  std::string correlation_id;  // also in the log scope while the handler runs (so on bus calls)
  std::string client_address;  // the peer's IP address
};

// Where a response's bytes go. `last` ends the response; `close` then ends the connection.
class ResponseSink {
 public:
  virtual ~ResponseSink() = default;
  virtual void write(std::string bytes, bool last, bool close) = 0;
  // False once the client has gone: a long stream stops producing for nobody.
  virtual bool open() const { return true; }
};
using ResponseSinkPtr = std::shared_ptr<ResponseSink>;

class ChunkedBody;

// A handle on one request's answer; copies share it. Only the first answer is sent. Should the
// last copy go unanswered (a handler bug, or work dropped at shutdown), it answers 500 itself,
// so a client never waits for nothing.
class Responder {
 public:
  // `head_only`: a HEAD request, answered with headers only. `close`: the connection ends after
  // this answer (the client asked, or the server is stopping); says so in a Connection header.
  Responder(ResponseSinkPtr sink, bool head_only, bool close);

  void send(HttpResponse response);
  void send_json(int status, const nlohmann::json& body, HeaderList headers = {});
  // A body already written as JSON text.
  void send_json_text(int status, std::string body, HeaderList headers = {});
  // problem+json, with Retry-After when the problem says when to come back.
  void send_problem(const Problem& problem, HeaderList headers = {});
  void send_status(const Status& status) { send_problem(problem_for(status)); }
  // Starts a chunked answer; its body is written through the returned object.
  ChunkedBody stream(int status, HeaderList headers);

  bool answered() const;

 private:
  friend class ChunkedBody;
  struct State;
  std::shared_ptr<State> state_;
};

// The body of a streamed answer, in pieces; end() completes it. An answer whose stream is
// never ended is cut off by closing the connection, so the client sees it is incomplete.
class ChunkedBody {
 public:
  void write(std::string_view data);
  void end();
  // False once ended, or once the client has gone (the connection closed).
  bool open() const;

 private:
  friend class Responder;
  explicit ChunkedBody(std::shared_ptr<Responder::State> state) : state_(std::move(state)) {}
  std::shared_ptr<Responder::State> state_;
};

}  // namespace mpli::gateway
