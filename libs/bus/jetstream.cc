#include "libs/bus/jetstream.h"

#include <nats/nats.h>

#include "libs/bus/nats_util.h"

namespace mpli::bus {
using detail::from_nats;

namespace {
constexpr int64_t kNanosPerMilli = int64_t{1000} * 1000;

Status from_js(natsStatus s, jsErrCode code, const std::string& context) {
  if (s == NATS_OK) return Status::ok();
  Status base = from_nats(s, context);
  if (code != 0) {
    return Status(base.code(), base.message() + " (JetStream error " + std::to_string(code) + ")");
  }
  return base;
}
}  // namespace

StreamSpec events_stream() {
  StreamSpec spec;
  spec.name = "MPLI_EVENTS";
  spec.subjects = {"mpli.events.>"};
  return spec;
}

StreamSpec work_stream() {
  StreamSpec spec;
  spec.name = "MPLI_WORK";
  spec.subjects = {"mpli.work.v1.>"};
  spec.retention = Retention::kWorkQueue;
  return spec;
}

Status ensure_stream(Connection& connection, const StreamSpec& spec) {
  jsCtx* js = connection.jetstream_context();
  if (js == nullptr) return unavailable("JetStream context unavailable");
  jsStreamConfig config;
  jsStreamConfig_Init(&config);
  config.Name = spec.name.c_str();
  std::vector<const char*> subjects;
  subjects.reserve(spec.subjects.size());
  for (const auto& subject : spec.subjects) subjects.push_back(subject.c_str());
  config.Subjects = subjects.data();
  config.SubjectsLen = static_cast<int>(subjects.size());
  config.Retention = spec.retention == Retention::kWorkQueue ? js_WorkQueuePolicy : js_LimitsPolicy;
  config.Storage = js_FileStorage;
  config.Duplicates = spec.duplicate_window.count() * kNanosPerMilli;
  config.MaxBytes = spec.max_bytes;
  config.MaxAge = spec.max_age.count() * kNanosPerMilli;
  config.Replicas = connection.stream_replicas();

  jsStreamInfo* info = nullptr;
  jsErrCode code = static_cast<jsErrCode>(0);
  natsStatus s = js_AddStream(&info, js, &config, nullptr, &code);
  if (s != NATS_OK && code == JSStreamNameExistErr) {
    s = js_UpdateStream(&info, js, &config, nullptr, &code);
  }
  jsStreamInfo_Destroy(info);
  return from_js(s, code, "stream " + spec.name);
}

Result<PublishAck> publish_durable(Connection& connection, const std::string& subject,
                                   const std::string& data, const std::string& msg_id,
                                   const Headers& headers) {
  jsCtx* js = connection.jetstream_context();
  if (js == nullptr) return unavailable("JetStream context unavailable");
  auto msg = detail::make_msg(subject, "", data, headers);
  if (!msg) return msg.status();
  jsPubOptions options;
  jsPubOptions_Init(&options);
  options.MsgId = msg_id.c_str();
  jsPubAck* ack = nullptr;
  jsErrCode code = static_cast<jsErrCode>(0);
  natsStatus s = js_PublishMsg(&ack, js, msg->get(), &options, &code);
  if (s != NATS_OK) return from_js(s, code, "publish " + subject);
  PublishAck result{ack->Sequence, ack->Duplicate};
  jsPubAck_Destroy(ack);
  return result;
}

Result<StreamState> stream_state(Connection& connection, const std::string& stream) {
  jsCtx* js = connection.jetstream_context();
  jsStreamInfo* info = nullptr;
  jsErrCode code = static_cast<jsErrCode>(0);
  natsStatus s = js_GetStreamInfo(&info, js, stream.c_str(), nullptr, &code);
  if (s != NATS_OK) return from_js(s, code, "stream info " + stream);
  StreamState state{info->State.Msgs, info->State.FirstSeq, info->State.LastSeq};
  jsStreamInfo_Destroy(info);
  return state;
}

Status delete_stream(Connection& connection, const std::string& stream) {
  jsErrCode code = static_cast<jsErrCode>(0);
  natsStatus s = js_DeleteStream(connection.jetstream_context(), stream.c_str(), nullptr, &code);
  return from_js(s, code, "delete stream " + stream);
}

DeliveredMessage::DeliveredMessage(natsMsg* raw) : raw_(raw), message_(detail::to_message(raw)) {
  jsMsgMetaData* meta = nullptr;
  if (natsMsg_GetMetaData(&meta, raw) == NATS_OK) {
    stream_sequence_ = meta->Sequence.Stream;
    delivery_count_ = meta->NumDelivered;
    jsMsgMetaData_Destroy(meta);
  }
}

DeliveredMessage::~DeliveredMessage() {
  if (raw_ != nullptr) natsMsg_Destroy(raw_);
}

DeliveredMessage::DeliveredMessage(DeliveredMessage&& other) noexcept { *this = std::move(other); }

DeliveredMessage& DeliveredMessage::operator=(DeliveredMessage&& other) noexcept {
  if (this != &other) {
    if (raw_ != nullptr) natsMsg_Destroy(raw_);
    raw_ = other.raw_;
    other.raw_ = nullptr;
    message_ = std::move(other.message_);
    stream_sequence_ = other.stream_sequence_;
    delivery_count_ = other.delivery_count_;
  }
  return *this;
}

Status DeliveredMessage::ack() {
  jsErrCode code = static_cast<jsErrCode>(0);
  return from_js(natsMsg_AckSync(raw_, nullptr, &code), code, "ack");
}

Status DeliveredMessage::nak(std::chrono::milliseconds delay) {
  if (delay.count() > 0)
    return from_nats(natsMsg_NakWithDelay(raw_, delay.count(), nullptr), "nak");
  return from_nats(natsMsg_Nak(raw_, nullptr), "nak");
}

Status DeliveredMessage::in_progress() {
  return from_nats(natsMsg_InProgress(raw_, nullptr), "in progress");
}

Status DeliveredMessage::term() { return from_nats(natsMsg_Term(raw_, nullptr), "term"); }

Status ensure_consumer(Connection& connection, const ConsumerSpec& spec) {
  jsCtx* js = connection.jetstream_context();
  if (js == nullptr) return unavailable("JetStream context unavailable");
  jsConsumerConfig config;
  jsConsumerConfig_Init(&config);
  config.Durable = spec.durable.c_str();
  config.AckPolicy = js_AckExplicit;
  config.AckWait = spec.ack_wait.count() * kNanosPerMilli;
  config.MaxDeliver = spec.max_deliver;
  if (spec.deliver_new_only) config.DeliverPolicy = js_DeliverNew;
  config.InactiveThreshold = spec.inactive_threshold.count() * kNanosPerMilli;
  if (!spec.filter_subject.empty()) config.FilterSubject = spec.filter_subject.c_str();
  jsConsumerInfo* info = nullptr;
  jsErrCode code = static_cast<jsErrCode>(0);
  natsStatus s = js_AddConsumer(&info, js, spec.stream.c_str(), &config, nullptr, &code);
  jsConsumerInfo_Destroy(info);
  // An existing durable with the same configuration is fine: every instance calls create().
  if (s != NATS_OK && code != JSConsumerNameExistErr) {
    return from_js(s, code, "consumer " + spec.durable);
  }
  return Status::ok();
}

Result<std::unique_ptr<PullConsumer>> PullConsumer::create(Connection& connection,
                                                           const ConsumerSpec& spec) {
  MPLI_RETURN_IF_ERROR(ensure_consumer(connection, spec));
  return bind(connection, spec.stream, spec.durable);
}

Result<std::unique_ptr<PullConsumer>> PullConsumer::bind(Connection& connection,
                                                         const std::string& stream,
                                                         const std::string& durable) {
  jsCtx* js = connection.jetstream_context();
  if (js == nullptr) return unavailable("JetStream context unavailable");
  jsSubOptions options;
  jsSubOptions_Init(&options);
  options.Stream = stream.c_str();
  options.Consumer = durable.c_str();
  std::unique_ptr<PullConsumer> consumer(new PullConsumer());
  jsErrCode code = static_cast<jsErrCode>(0);
  // With Stream and Consumer set, nats.c binds to the existing durable (its filter applies).
  natsStatus s =
      js_PullSubscribe(&consumer->sub_, js, nullptr, durable.c_str(), nullptr, &options, &code);
  if (s != NATS_OK) return from_js(s, code, "pull subscribe " + durable);
  return consumer;
}

PullConsumer::~PullConsumer() {
  if (sub_ != nullptr) natsSubscription_Destroy(sub_);
}

Result<std::vector<DeliveredMessage>> PullConsumer::fetch(int batch,
                                                          std::chrono::milliseconds timeout) {
  natsMsgList list{nullptr, 0};
  jsErrCode code = static_cast<jsErrCode>(0);
  natsStatus s = natsSubscription_Fetch(&list, sub_, batch, timeout.count(), &code);
  std::vector<DeliveredMessage> out;
  if (s == NATS_TIMEOUT) return out;
  if (s != NATS_OK) return from_js(s, code, "fetch");
  out.reserve(static_cast<size_t>(list.Count));
  for (int i = 0; i < list.Count; ++i) {
    out.push_back(DeliveredMessage(list.Msgs[i]));
    list.Msgs[i] = nullptr;  // ownership moved; natsMsgList_Destroy skips null entries
  }
  natsMsgList_Destroy(&list);
  return out;
}

}  // namespace mpli::bus
