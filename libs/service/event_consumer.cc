#include "libs/service/event_consumer.h"

#include <atomic>
#include <sstream>

#include "libs/core/log.h"
#include "mpli/common/v1/envelope.pb.h"

namespace mpli::service {
namespace {

std::vector<std::string> tokens(const std::string& subject) {
  std::vector<std::string> out;
  std::stringstream in(subject);
  std::string token;
  while (std::getline(in, token, '.')) out.push_back(token);
  return out;
}

// NATS subject matching: `*` is one token, `>` the rest (one or more tokens).
bool subject_matches(const std::string& pattern, const std::string& subject) {
  auto p = tokens(pattern);
  auto s = tokens(subject);
  for (size_t i = 0; i < p.size(); ++i) {
    if (p[i] == ">") return s.size() > i;
    if (i >= s.size()) return false;
    if (p[i] != "*" && p[i] != s[i]) return false;
  }
  return p.size() == s.size();
}

}  // namespace

bus::StreamSpec dead_letter_stream() {
  bus::StreamSpec spec;
  spec.name = "MPLI_DEAD";
  spec.subjects = {"mpli.dead.>"};
  return spec;
}

std::string dead_letter_subject(const std::string& durable) { return "mpli.dead." + durable; }

Status parse_event_payload(const bus::Message& message, google::protobuf::MessageLite& event) {
  common::v1::Envelope envelope;
  if (!envelope.ParseFromString(message.data)) {
    return invalid_argument(message.subject + ": not an mpli.common.v1.Envelope");
  }
  if (!event.ParseFromString(envelope.payload())) {
    return invalid_argument(message.subject + ": the envelope's payload (" +
                            envelope.payload_type() + ") is not a " + event.GetTypeName());
  }
  return Status::ok();
}

bool is_transient(StatusCode code) {
  switch (code) {
    case StatusCode::kUnavailable:
    case StatusCode::kBusy:
    case StatusCode::kDeadlineExceeded:
    case StatusCode::kAborted:
      return true;
    default:
      return false;
  }
}

struct EventConsumer::State {
  bus::Connection* bus = nullptr;
  EventConsumerSpec spec;
  EventHandler handler;
  std::unique_ptr<bus::PullConsumer> consumer;
  std::atomic<uint64_t> acked{0};
  std::atomic<uint64_t> retried{0};
  std::atomic<uint64_t> dead{0};

  bool wanted(const std::string& subject) const {
    if (spec.subjects.size() <= 1) return true;  // the server filters a single subject
    for (const auto& pattern : spec.subjects) {
      if (subject_matches(pattern, subject)) return true;
    }
    return false;
  }

  std::chrono::milliseconds backoff(uint64_t attempt) const {
    auto delay = spec.backoff_base;
    for (uint64_t i = 1; i < attempt && delay < spec.backoff_max; ++i) delay *= 2;
    return std::min(delay, spec.backoff_max);
  }

  // Copies the message to MPLI_DEAD with why it died, then terminates it. When the copy cannot
  // be made the message is handed back (nak) instead: a poison event is never dropped unseen.
  void bury(bus::DeliveredMessage& delivered, const Delivery& delivery, const Status& why) {
    const bus::Message& m = delivered.message();
    bus::Headers headers = m.headers;
    headers.erase(bus::kMsgIdHeader);
    headers["Mpli-Dead-Subject"] = m.subject;
    headers["Mpli-Dead-Error"] = why.message();
    headers["Mpli-Dead-Code"] = std::string(status_code_name(why.code()));
    headers["Mpli-Dead-Attempts"] = std::to_string(delivery.attempt);
    headers["Mpli-Dead-Sequence"] = std::to_string(delivery.stream_sequence);
    headers["Mpli-Dead-Event-Id"] = delivery.event_id;
    std::string dedup = spec.durable + ":" + std::to_string(delivery.stream_sequence);
    auto published =
        bus::publish_durable(*bus, dead_letter_subject(spec.durable), m.data, dedup, headers);
    if (!published) {
      log::error("cannot dead-letter an event; handing it back",
                 {{"consumer", spec.durable},
                  {"event_id", delivery.event_id},
                  {"error", published.status().to_string()}});
      (void)delivered.nak(backoff(delivery.attempt));
      return;
    }
    log::error("event dead-lettered", {{"consumer", spec.durable},
                                       {"subject", m.subject},
                                       {"event_id", delivery.event_id},
                                       {"attempts", delivery.attempt},
                                       {"error", why.to_string()}});
    ++dead;
    (void)delivered.term();
  }

  void settle(bus::DeliveredMessage& delivered) {
    const bus::Message& m = delivered.message();
    Delivery delivery;
    delivery.stream_sequence = delivered.stream_sequence();
    delivery.attempt = std::max<uint64_t>(1, delivered.delivery_count());
    delivery.event_id = m.header(bus::kMsgIdHeader);
    if (delivery.event_id.empty()) {
      delivery.event_id = spec.stream + ":" + std::to_string(delivery.stream_sequence);
    }
    if (!wanted(m.subject)) {
      (void)delivered.ack();
      return;
    }
    Status outcome;
    try {
      outcome = handler(m, delivery);
    } catch (const std::exception& e) {
      outcome = internal_error(std::string("handler threw: ") + e.what());
    }
    if (outcome.is_ok()) {
      Status acked_status = delivered.ack();
      // Not acknowledged: it comes back, and the idempotent handler changes nothing then.
      if (!acked_status.is_ok()) {
        log::warn("ack failed", {{"consumer", spec.durable}, {"error", acked_status.to_string()}});
      }
      ++acked;
    } else if (is_transient(outcome.code()) &&
               delivery.attempt < static_cast<uint64_t>(spec.max_attempts)) {
      log::warn("event failed; retrying later", {{"consumer", spec.durable},
                                                 {"event_id", delivery.event_id},
                                                 {"attempt", delivery.attempt},
                                                 {"error", outcome.to_string()}});
      ++retried;
      (void)delivered.nak(backoff(delivery.attempt));
    } else {
      bury(delivered, delivery, outcome);
    }
  }
};

Result<std::unique_ptr<EventConsumer>> EventConsumer::create(bus::Connection& bus,
                                                             EventConsumerSpec spec,
                                                             EventHandler handler) {
  if (spec.durable.empty()) return invalid_argument("an event consumer needs a durable name");
  MPLI_RETURN_IF_ERROR(bus::ensure_stream(bus, dead_letter_stream()));
  bus::ConsumerSpec consumer_spec;
  consumer_spec.stream = spec.stream;
  consumer_spec.durable = spec.durable;
  if (spec.subjects.size() == 1) consumer_spec.filter_subject = spec.subjects.front();
  consumer_spec.ack_wait = spec.ack_wait;
  consumer_spec.max_deliver = -1;  // attempts are counted here, so the last one is dead-lettered
  consumer_spec.deliver_new_only = spec.deliver_new_only;
  consumer_spec.inactive_threshold = spec.inactive_threshold;
  MPLI_ASSIGN_OR_RETURN(auto consumer, bus::PullConsumer::create(bus, consumer_spec));
  std::unique_ptr<EventConsumer> out(new EventConsumer());
  out->state_ = std::make_unique<State>();
  out->state_->bus = &bus;
  out->state_->spec = std::move(spec);
  out->state_->handler = std::move(handler);
  out->state_->consumer = std::move(consumer);
  return out;
}

EventConsumer::~EventConsumer() = default;

void EventConsumer::run(const StopToken& stop) {
  auto pause = std::chrono::milliseconds(100);
  while (!stop.stop_requested()) {
    // A short fetch wait keeps the loop responsive to stop.
    auto batch = state_->consumer->fetch(state_->spec.batch, std::chrono::milliseconds(500));
    if (!batch) {
      log::warn("event fetch failed",
                {{"consumer", state_->spec.durable}, {"error", batch.status().to_string()}});
      if (stop.wait_for(pause)) break;
      pause = std::min(pause * 2, std::chrono::milliseconds(5000));
      continue;
    }
    pause = std::chrono::milliseconds(100);
    for (auto& delivered : *batch) {
      if (stop.stop_requested()) {
        // Hand the rest back at once rather than after the ack wait.
        (void)delivered.nak();
        continue;
      }
      state_->settle(delivered);
    }
  }
}

ConsumerCounters EventConsumer::counters() const {
  return {state_->acked.load(), state_->retried.load(), state_->dead.load()};
}

}  // namespace mpli::service
