#include "libs/bus/ordered_subscription.h"

#include <nats/nats.h>

#include "libs/bus/nats_util.h"
#include "libs/core/log.h"

namespace mpli::bus {

struct OrderedSubscription::Context {
  std::function<void(const StreamMessage&)> on_message;
};

namespace {

// nats.c calls this on the subscription's delivery thread. Nothing may throw out of it.
void on_stream_message(natsConnection*, natsSubscription*, natsMsg* raw, void* closure) {
  detail::NatsMsgPtr owned(raw);
  auto* context = static_cast<OrderedSubscription::Context*>(closure);
  StreamMessage message;
  jsMsgMetaData* meta = nullptr;
  if (natsMsg_GetMetaData(&meta, raw) == NATS_OK) {
    message.sequence = meta->Sequence.Stream;
    jsMsgMetaData_Destroy(meta);
  }
  try {
    message.message = detail::to_message(raw);
    context->on_message(message);
  } catch (const std::exception& e) {
    log::error("stream message handler failed", {{"error", e.what()}});
  }
}

// After the last callback has returned: only then may what it uses go.
void on_complete(void* closure) {
  std::unique_ptr<OrderedSubscription::Context> context(
      static_cast<OrderedSubscription::Context*>(closure));
}

}  // namespace

Result<std::unique_ptr<OrderedSubscription>> OrderedSubscription::start(
    Connection& connection, const OrderedSubscriptionSpec& spec,
    std::function<void(const StreamMessage&)> on_message) {
  jsCtx* js = connection.jetstream_context();
  if (js == nullptr) return unavailable("JetStream context unavailable");
  jsSubOptions options;
  jsSubOptions_Init(&options);
  options.Stream = spec.stream.c_str();
  options.Ordered = true;
  if (spec.start_sequence > 0) {
    options.Config.DeliverPolicy = js_DeliverByStartSequence;
    options.Config.OptStartSeq = spec.start_sequence;
  } else {
    options.Config.DeliverPolicy = js_DeliverNew;
  }
  auto context = std::make_unique<Context>();
  context->on_message = std::move(on_message);
  std::unique_ptr<OrderedSubscription> subscription(new OrderedSubscription());
  jsErrCode code = static_cast<jsErrCode>(0);
  const char* subject = spec.filter_subject.empty() ? nullptr : spec.filter_subject.c_str();
  natsStatus s = js_Subscribe(&subscription->sub_, js, subject, on_stream_message, context.get(),
                              nullptr, &options, &code);
  if (s != NATS_OK) {
    subscription->sub_ = nullptr;
    Status status = detail::from_nats(s, "ordered consumer on " + spec.stream);
    if (code != 0) {
      return Status(status.code(),
                    status.message() + " (JetStream error " + std::to_string(code) + ")");
    }
    return status;
  }
  s = natsSubscription_SetOnCompleteCB(subscription->sub_, on_complete, context.get());
  if (s != NATS_OK) {
    // Without the completion callback the context could not be freed safely: keep it (a leak
    // of one small object) rather than free it under a running callback.
    (void)context.release();
    return detail::from_nats(s, "ordered consumer on " + spec.stream);
  }
  (void)context.release();  // owned by nats.c until on_complete
  return subscription;
}

OrderedSubscription::~OrderedSubscription() {
  if (sub_ == nullptr) return;
  natsSubscription_Unsubscribe(sub_);
  natsSubscription_Destroy(sub_);
}

}  // namespace mpli::bus
