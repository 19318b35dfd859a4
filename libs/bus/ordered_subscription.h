// A JetStream ordered consumer read by callback: an ephemeral push consumer on one stream that
// delivers messages in stream order, without acks or redeliveries, from a given sequence or from
// the next new message. nats.c recreates the consumer itself after a gap (flow control and
// heartbeats), so the callback never sees a message twice or out of order. For readers that
// follow a stream live (the gateway's GET /v1/events), not for work that must be settled.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "libs/bus/connection.h"

namespace mpli::bus {

struct OrderedSubscriptionSpec {
  std::string stream;
  std::string filter_subject;   // "" = every subject of the stream
  uint64_t start_sequence = 0;  // 0: only messages stored after the subscription starts
};

struct StreamMessage {
  uint64_t sequence = 0;  // the message's sequence in its stream
  Message message;
};

class OrderedSubscription {
 public:
  // `on_message` runs on nats.c's delivery thread for this subscription, one message at a time;
  // exceptions are caught and logged. It may be called once more while the destructor runs, and
  // is kept alive by the subscription until nats.c says its last call returned.
  static Result<std::unique_ptr<OrderedSubscription>> start(
      Connection& connection, const OrderedSubscriptionSpec& spec,
      std::function<void(const StreamMessage&)> on_message);
  // Unsubscribes: the server deletes the consumer. Does not wait for a callback in progress.
  ~OrderedSubscription();
  OrderedSubscription(const OrderedSubscription&) = delete;
  OrderedSubscription& operator=(const OrderedSubscription&) = delete;

  struct Context;  // what the C callback needs; defined in ordered_subscription.cc

 private:
  OrderedSubscription() = default;
  struct __natsSubscription* sub_ = nullptr;
};

}  // namespace mpli::bus
