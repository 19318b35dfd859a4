#include "services/gateway/handlers/event_routes.h"

#include <algorithm>
#include <mutex>
#include <optional>
#include <unordered_map>
#include <vector>

#include "libs/bus/jetstream.h"
#include "libs/bus/ordered_subscription.h"
#include "libs/core/log.h"
#include "services/gateway/domain/url.h"

namespace mpli::gateway {
namespace {

using Clock = std::chrono::steady_clock;
constexpr const char* kStream = "MPLI_EVENTS";

// One client's stream. Written from its subscription's delivery thread and from the worker;
// the mutex keeps their bytes whole and in order.
class EventStream {
 public:
  EventStream(EventFilter filter, EventCaller caller)
      : filter_(std::move(filter)), caller_(std::move(caller)) {}

  // On the subscription's thread: one stored event.
  void deliver(const bus::StreamMessage& message) {
    StreamEvent event =
        decode_event(message.sequence, message.message.subject, message.message.data);
    if (!filter_matches(filter_, event) || !may_see(caller_, event)) return;
    write(sse_event(std::to_string(event.sequence), event.type,
                    event.data.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)));
  }

  // Sends the head and `prelude`, then what arrived meanwhile (the subscription starts first,
  // so an event stored after the client got the head is never missed).
  void begin(Responder& responder, const std::string& prelude) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (ended_) {  // shutdown came between registration and here
      responder.send_status(
          unavailable("the gateway is shutting down").with_retry_after(std::chrono::seconds(1)));
      return;
    }
    body_ = responder.stream(200, {{"Content-Type", "text/event-stream"},
                                   {"Cache-Control", "no-store"},
                                   {"X-Accel-Buffering", "no"}});
    std::string first = prelude;
    for (auto& bytes : pending_) first += bytes;
    pending_.clear();
    body_->write(first);
    last_write_ = Clock::now();
  }

  void write(const std::string& bytes) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (ended_) return;
    if (!body_) {
      pending_.push_back(bytes);
      return;
    }
    body_->write(bytes);
    last_write_ = Clock::now();
  }

  // A heartbeat when nothing was written for `interval`.
  void keep_alive(std::chrono::milliseconds interval) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (ended_ || !body_ || Clock::now() - last_write_ < interval) return;
    body_->write(sse_comment("heartbeat"));
    last_write_ = Clock::now();
  }

  bool client_gone() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return body_ && !body_->open();
  }

  // Ends the body (the terminating chunk) and unsubscribes.
  void end() {
    std::unique_ptr<bus::OrderedSubscription> subscription;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      ended_ = true;
      if (body_) body_->end();
      subscription = std::move(subscription_);
    }
    // Unsubscribing outside the lock: a delivery in progress may still want it.
  }

  void attach(std::unique_ptr<bus::OrderedSubscription> subscription) {
    std::lock_guard<std::mutex> lock(mutex_);
    subscription_ = std::move(subscription);
  }

 private:
  const EventFilter filter_;
  const EventCaller caller_;
  mutable std::mutex mutex_;
  std::optional<ChunkedBody> body_;
  std::vector<std::string> pending_;
  bool ended_ = false;
  Clock::time_point last_write_ = Clock::now();
  std::unique_ptr<bus::OrderedSubscription> subscription_;
};

}  // namespace

class EventStreams {
 public:
  EventStreams(bus::Connection& bus, EventRoutesOptions options)
      : bus_(bus), options_(std::move(options)) {}

  void open(const RouteRequest& request, Responder responder) {
    EventCaller caller;
    if (options_.identify) {
      auto identified = options_.identify(request.http);
      if (!identified) {
        HeaderList headers;
        if (identified.status().code() == StatusCode::kUnauthenticated) {
          headers.emplace_back("WWW-Authenticate",
                               "Bearer realm=\"mpli\", error=\"invalid_token\"");
        }
        return responder.send_problem(problem_for(identified.status()), std::move(headers));
      }
      caller = std::move(identified).value();
    }
    auto params = query_parameters(request.http.query);
    if (!params) return responder.send_status(params.status());
    auto filter = parse_event_query(*params, request.http.header("last-event-id"));
    if (!filter) return responder.send_status(filter.status());
    if (request.http.method == "HEAD") {
      responder.stream(200, {{"Content-Type", "text/event-stream"}, {"Cache-Control", "no-store"}});
      return;
    }

    uint64_t id = 0;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (stopping_) {
        return responder.send_status(
            unavailable("the gateway is shutting down").with_retry_after(std::chrono::seconds(1)));
      }
      if (static_cast<int>(streams_.size() + starting_) >= options_.max_streams) {
        return responder.send_status(busy("the gateway serves at most " +
                                              std::to_string(options_.max_streams) +
                                              " event streams at once (events.max_streams)",
                                          std::chrono::seconds(5)));
      }
      ++starting_;
      id = ++next_id_;
    }
    struct Started {  // however start() ends, the stream no longer counts as starting
      EventStreams& streams;
      ~Started() {
        std::lock_guard<std::mutex> lock(streams.mutex_);
        --streams.starting_;
      }
    } started{*this};
    start(id, *filter, std::move(caller), responder);
  }

  size_t count() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return streams_.size();
  }

  void run(const service::StopToken& stop) {
    auto tick = std::min<std::chrono::milliseconds>(std::chrono::seconds(1), options_.heartbeat);
    while (!stop.wait_for(tick)) {
      for (const auto& [id, stream] : snapshot()) {
        if (stream->client_gone()) {
          close(id);
        } else {
          stream->keep_alive(options_.heartbeat);
        }
      }
    }
    std::unordered_map<uint64_t, std::shared_ptr<EventStream>> all;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stopping_ = true;
      all.swap(streams_);
    }
    for (auto& [id, stream] : all) stream->end();
    if (!all.empty()) log::info("event streams ended at shutdown", {{"streams", all.size()}});
  }

 private:
  void start(uint64_t id, const EventFilter& filter, EventCaller caller, Responder& responder) {
    std::string prelude = sse_retry(options_.retry.count());
    bus::OrderedSubscriptionSpec spec;
    spec.stream = kStream;
    spec.filter_subject = subject_filter_for(filter.type_prefix);
    if (filter.resume_after) {
      auto state = bus::stream_state(bus_, kStream);
      if (!state) {
        log::warn("event stream: no stream state", {{"error", state.status().to_string()}});
        return responder.send_status(unavailable("the event stream is not available")
                                         .with_retry_after(std::chrono::seconds(5)));
      }
      uint64_t after = *filter.resume_after;
      if (after > state->last_sequence) {
        // Not an id of this stream (it was recreated, or the id is from elsewhere): nothing
        // can be replayed exactly; the client gets new events and is told so.
        prelude +=
            events_lost_event(after, state->first_sequence, state->last_sequence, "unknown_id");
      } else {
        if (after + 1 < state->first_sequence) {
          prelude +=
              events_lost_event(after, state->first_sequence, state->last_sequence, "expired");
        }
        spec.start_sequence = std::max(after + 1, state->first_sequence);
      }
    }
    auto stream = std::make_shared<EventStream>(filter, std::move(caller));
    std::weak_ptr<EventStream> weak = stream;
    auto subscription =
        bus::OrderedSubscription::start(bus_, spec, [weak](const bus::StreamMessage& message) {
          if (auto alive = weak.lock()) alive->deliver(message);
        });
    if (!subscription) {
      log::warn("event stream: cannot subscribe", {{"error", subscription.status().to_string()}});
      return responder.send_status(unavailable("the event stream is not available")
                                       .with_retry_after(std::chrono::seconds(5)));
    }
    stream->attach(std::move(subscription).value());
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (stopping_) {
        stream->end();
        return responder.send_status(
            unavailable("the gateway is shutting down").with_retry_after(std::chrono::seconds(1)));
      }
      streams_[id] = stream;
    }
    stream->begin(responder, prelude + sse_comment("stream open"));
  }

  std::vector<std::pair<uint64_t, std::shared_ptr<EventStream>>> snapshot() {
    std::lock_guard<std::mutex> lock(mutex_);
    return {streams_.begin(), streams_.end()};
  }

  void close(uint64_t id) {
    std::shared_ptr<EventStream> stream;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      auto it = streams_.find(id);
      if (it == streams_.end()) return;
      stream = std::move(it->second);
      streams_.erase(it);
    }
    stream->end();
  }

  bus::Connection& bus_;
  const EventRoutesOptions options_;
  mutable std::mutex mutex_;
  std::unordered_map<uint64_t, std::shared_ptr<EventStream>> streams_;
  int starting_ = 0;  // admitted, still subscribing: they count against max_streams
  uint64_t next_id_ = 0;
  bool stopping_ = false;
};

std::shared_ptr<EventStreams> add_event_routes(HttpServer& server, bus::Connection& bus,
                                               EventRoutesOptions options) {
  BoundedExecutor* executor = options.executor;
  auto streams = std::make_shared<EventStreams>(bus, std::move(options));
  server.route("GET", "/v1/events", {"text/event-stream"}, executor,
               [streams](const RouteRequest& request, Responder responder) {
                 streams->open(request, std::move(responder));
               });
  return streams;
}

void run_event_streams(EventStreams& streams, const service::StopToken& stop) { streams.run(stop); }

size_t open_event_streams(const EventStreams& streams) { return streams.count(); }

EventCallerHook bearer_token_caller(std::shared_ptr<const auth::Guard> guard) {
  return [guard = std::move(guard)](const HttpRequest& request) -> Result<EventCaller> {
    auto identified = guard->caller_of(request);
    if (!identified) return identified.status();
    EventCaller caller;
    if (!identified->has_value()) return caller;  // anonymous: public events
    const auth::Caller& verified = **identified;
    caller.authenticated = true;
    caller.role = std::string(auth::role_name(verified.role));
    caller.tenant = verified.tenant;
    caller.provider = verified.provider;
    caller.tenants = verified.tenants;
    return caller;
  };
}

}  // namespace mpli::gateway
