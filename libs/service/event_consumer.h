// Event consumers owned by the runtime: a durable JetStream pull consumer and a loop that
// hands each message to a handler, then settles it from the handler's Status:
//   ok                                  -> ack
//   transient (unavailable, busy, deadline_exceeded, aborted)
//                                       -> nak with exponential backoff, redelivered later
//   anything else, or `max_attempts` deliveries reached
//                                       -> "poison": copied to the MPLI_DEAD stream with its
//                                          error and attempts, then terminated (never redelivered)
// so one bad event never blocks the ones behind it. On stop the loop finishes the message in
// hand and returns; unsettled messages are redelivered to the next instance.
// Handlers must be idempotent: db/applied_events.h records applied event ids in the
// consumer's own schema in the same transaction as the state change.
#pragma once

#include <google/protobuf/message_lite.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "libs/bus/connection.h"
#include "libs/bus/jetstream.h"
#include "libs/core/status.h"
#include "libs/service/stop_token.h"

namespace mpli::service {

struct EventConsumerSpec {
  std::string stream = "MPLI_EVENTS";
  std::string durable;                // e.g. "resolver-catalogue": shared by a service's instances
  std::vector<std::string> subjects;  // filter; empty = the whole stream
  int max_attempts = 5;               // deliveries before a failing event is dead-lettered
  std::chrono::milliseconds backoff_base{200};  // first redelivery delay; doubles each attempt
  std::chrono::milliseconds backoff_max{30000};
  std::chrono::milliseconds ack_wait{30000};
  int batch = 32;  // messages fetched at once
  // A per-instance consumer (a unique durable name) that sees only new events and is removed
  // by the server after inactive_threshold without pulls; see bus::ConsumerSpec.
  bool deliver_new_only = false;
  std::chrono::milliseconds inactive_threshold{0};
};

// What a handler knows about the delivery besides the message.
struct Delivery {
  std::string event_id;  // Nats-Msg-Id (the producer's outbox id), else stream:sequence
  uint64_t stream_sequence = 0;
  uint64_t attempt = 1;  // 1 on first delivery
};

using EventHandler = std::function<Status(const bus::Message&, const Delivery&)>;

// The dead-letter stream: MPLI_DEAD, subjects mpli.dead.<durable>. A dead message keeps the
// original body and headers, plus Mpli-Dead-Subject, Mpli-Dead-Error, Mpli-Dead-Code,
// Mpli-Dead-Attempts and Mpli-Dead-Sequence.
bus::StreamSpec dead_letter_stream();
std::string dead_letter_subject(const std::string& durable);

// The event an MPLI_EVENTS message carries: the payload of its mpli.common.v1.Envelope (what
// the outbox publishes), parsed as `Event`. Not the bare event: a handler that parsed the
// message body as the event itself would refuse every real one.
Status parse_event_payload(const bus::Message& message, google::protobuf::MessageLite& event);
template <typename Event>
Result<Event> event_payload(const bus::Message& message) {
  Event event;
  MPLI_RETURN_IF_ERROR(parse_event_payload(message, event));
  return event;
}

// True for the codes a retry may fix.
bool is_transient(StatusCode code);

struct ConsumerCounters {
  uint64_t acked = 0;
  uint64_t retried = 0;
  uint64_t dead = 0;
};

class EventConsumer {
 public:
  // Creates (or binds to) the durable consumer and the dead-letter stream.
  static Result<std::unique_ptr<EventConsumer>> create(bus::Connection& bus, EventConsumerSpec spec,
                                                       EventHandler handler);
  ~EventConsumer();
  EventConsumer(const EventConsumer&) = delete;
  EventConsumer& operator=(const EventConsumer&) = delete;

  // Runs the pull loop until `stop` is requested; returns after settling the message in hand.
  void run(const StopToken& stop);
  ConsumerCounters counters() const;

 private:
  EventConsumer() = default;
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace mpli::service
