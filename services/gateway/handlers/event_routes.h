// GET /v1/events: the hub's events (JetStream MPLI_EVENTS) as Server-Sent Events. Each stream is
// a JetStream ordered consumer whose nats.c callback writes to the client; no executor thread is
// held while a stream is open (the quick executor only sets it up). A background worker sends
// heartbeats, lets go of streams whose client has gone, and ends every stream at shutdown.
// Wire format: docs/events.md.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>

#include "libs/bus/connection.h"
#include "libs/service/stop_token.h"
#include "services/gateway/auth/guard.h"
#include "services/gateway/bounded_executor.h"
#include "services/gateway/domain/event_stream.h"
#include "services/gateway/http_server.h"

namespace mpli::gateway {

// Who is asking, from the request's headers; a Status (e.g. an invalid token) is answered as is.
using EventCallerHook = std::function<Result<EventCaller>(const HttpRequest&)>;

struct EventRoutesOptions {
  BoundedExecutor* executor = nullptr;  // sets a stream up (a stream-info call, a subscription)
  int max_streams = 100;                // open at once; more are answered 503 + Retry-After
  std::chrono::milliseconds heartbeat{15000};  // a comment after this long without a write
  std::chrono::milliseconds retry{3000};       // the `retry:` hint sent first
  // Unset: every caller is anonymous and sees public events only.
  EventCallerHook identify;
};

class EventStreams;

// Registers GET /v1/events. The returned object must be run (run_event_streams) for heartbeats,
// disconnect detection and shutdown.
std::shared_ptr<EventStreams> add_event_routes(HttpServer& server, bus::Connection& bus,
                                               EventRoutesOptions options);

// Until `stop`: heartbeats, and streams whose client went are unsubscribed (checked every
// second, or every heartbeat when that is shorter). At stop: every stream is ended (the
// terminating chunk is sent) and unsubscribed, and new streams are refused 503.
void run_event_streams(EventStreams& streams, const service::StopToken& stop);

// Streams open now (for a metrics gauge).
size_t open_event_streams(const EventStreams& streams);

// The caller as the guard's bearer token says: no Authorization header is anonymous (public
// events only), a verified token the caller it names, any other token 401.
EventCallerHook bearer_token_caller(std::shared_ptr<const auth::Guard> guard);

}  // namespace mpli::gateway
