#include "services/gateway/http/responder.h"

#include <atomic>

#include "libs/core/log.h"

namespace mpli::gateway {

struct Responder::State {
  ResponseSinkPtr sink;
  bool head_only = false;
  bool close = false;
  std::atomic<bool> answered{false};
  std::atomic<bool> streaming{false};  // a chunked body was started and not yet ended

  ~State() {
    try {
      if (streaming) {
        sink->write(std::string(), true, true);
      } else if (!answered) {
        log::error("a request went unanswered; answering 500");
        Problem problem = http_problem(500, "the gateway produced no answer to this request");
        HttpResponse response{
            500,
            {{"Content-Type", "application/problem+json"}, {"Connection", "close"}},
            problem.body.dump()};
        sink->write(serialize_response(response, head_only), true, true);
      }
    } catch (const std::exception&) {
      // Out of memory while answering: the client's connection times out instead.
    }
  }

  // True for the first answer only.
  bool claim() {
    if (answered.exchange(true)) {
      log::error("a request was answered twice; the second answer is dropped");
      return false;
    }
    return true;
  }

  void add_connection_header(HeaderList& headers) const {
    if (close) headers.emplace_back("Connection", "close");
  }
};

Responder::Responder(ResponseSinkPtr sink, bool head_only, bool close)
    : state_(std::make_shared<State>()) {
  state_->sink = std::move(sink);
  state_->head_only = head_only;
  state_->close = close;
}

bool Responder::answered() const { return state_->answered; }

void Responder::send(HttpResponse response) {
  if (!state_->claim()) return;
  state_->add_connection_header(response.headers);
  state_->sink->write(serialize_response(response, state_->head_only), true, state_->close);
}

void Responder::send_json(int status, const nlohmann::json& body, HeaderList headers) {
  headers.emplace_back("Content-Type", "application/json");
  send({status, std::move(headers),
        body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)});
}

void Responder::send_json_text(int status, std::string body, HeaderList headers) {
  headers.emplace_back("Content-Type", "application/json");
  send({status, std::move(headers), std::move(body)});
}

void Responder::send_problem(const Problem& problem, HeaderList headers) {
  headers.emplace_back("Content-Type", "application/problem+json");
  if (problem.retry_after_seconds > 0) {
    headers.emplace_back("Retry-After", std::to_string(problem.retry_after_seconds));
  }
  send({problem.http_status, std::move(headers),
        problem.body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)});
}

ChunkedBody Responder::stream(int status, HeaderList headers) {
  if (!state_->claim()) return ChunkedBody(nullptr);
  state_->add_connection_header(headers);
  std::string head = serialize_chunked_head(status, headers);
  if (state_->head_only) {
    state_->sink->write(std::move(head), true, state_->close);
    return ChunkedBody(nullptr);
  }
  state_->streaming = true;
  state_->sink->write(std::move(head), false, false);
  return ChunkedBody(state_);
}

void ChunkedBody::write(std::string_view data) {
  if (!state_ || !state_->streaming || data.empty()) return;
  state_->sink->write(chunk(data), false, false);
}

bool ChunkedBody::open() const { return state_ && state_->streaming && state_->sink->open(); }

void ChunkedBody::end() {
  if (!state_ || !state_->streaming.exchange(false)) return;
  state_->sink->write(std::string(last_chunk()), true, state_->close);
}

}  // namespace mpli::gateway
