// JetStream on top of Connection: idempotent stream setup, publish with Nats-Msg-Id
// (duplicates dropped by the stream), and durable pull consumers with ack / nak / in-progress.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "libs/bus/connection.h"

struct __natsMsg;

namespace mpli::bus {

enum class Retention { kLimits, kWorkQueue };

struct StreamSpec {
  std::string name;
  std::vector<std::string> subjects;
  Retention retention = Retention::kLimits;
  // How long the stream remembers Nats-Msg-Id values: a republish within this window is dropped.
  std::chrono::milliseconds duplicate_window{std::chrono::minutes(10)};
  int64_t max_bytes = -1;
  std::chrono::milliseconds max_age{0};  // 0: no age limit
};

// The two streams every MPLI process agrees on (architecture.md section 3).
StreamSpec events_stream();  // MPLI_EVENTS: mpli.events.>
StreamSpec work_stream();    // MPLI_WORK:   mpli.work.v1.>  (work-queue retention)

// Creates the stream, or updates it to `spec` when it exists. Safe to call from every instance.
Status ensure_stream(Connection& connection, const StreamSpec& spec);

struct PublishAck {
  uint64_t sequence = 0;
  bool duplicate = false;  // the stream already had a message with this Nats-Msg-Id
};

Result<PublishAck> publish_durable(Connection& connection, const std::string& subject,
                                   const std::string& data, const std::string& msg_id,
                                   const Headers& headers = {});

struct StreamState {
  uint64_t messages = 0;
  uint64_t first_sequence = 0;
  uint64_t last_sequence = 0;
};
Result<StreamState> stream_state(Connection& connection, const std::string& stream);
Status delete_stream(Connection& connection, const std::string& stream);

// One message taken from a pull consumer. The holder must settle it (ack, nak or term);
// an unsettled message is redelivered after the consumer's ack wait.
class DeliveredMessage {
 public:
  ~DeliveredMessage();
  DeliveredMessage(DeliveredMessage&& other) noexcept;
  DeliveredMessage& operator=(DeliveredMessage&& other) noexcept;
  DeliveredMessage(const DeliveredMessage&) = delete;
  DeliveredMessage& operator=(const DeliveredMessage&) = delete;

  const Message& message() const { return message_; }
  uint64_t stream_sequence() const { return stream_sequence_; }
  uint64_t delivery_count() const { return delivery_count_; }

  Status ack();  // waits for the server's confirmation
  Status nak(std::chrono::milliseconds delay = std::chrono::milliseconds(0));
  Status in_progress();  // resets the ack wait: still working
  Status term();         // never redeliver

 private:
  friend class PullConsumer;
  explicit DeliveredMessage(__natsMsg* raw);
  __natsMsg* raw_ = nullptr;
  Message message_;
  uint64_t stream_sequence_ = 0;
  uint64_t delivery_count_ = 0;
};

struct ConsumerSpec {
  std::string stream;
  std::string durable;         // survives restarts; shared by instances of one service
  std::string filter_subject;  // "" = every subject of the stream
  std::chrono::milliseconds ack_wait{std::chrono::seconds(30)};
  int64_t max_deliver = -1;  // -1 = unlimited
  // Only messages published after the consumer is created (a per-instance view that loads the
  // past some other way, such as the resolver's index).
  bool deliver_new_only = false;
  // The server deletes the consumer after this long without a pull (0 = never): per-instance
  // consumers of instances that died do not pile up.
  std::chrono::milliseconds inactive_threshold{0};
};

// Creates the durable consumer, or leaves it when one with that name exists. Lets one party
// (delivery) create a consumer that another (a provider's worker) only binds to.
Status ensure_consumer(Connection& connection, const ConsumerSpec& spec);

class PullConsumer {
 public:
  // ensure_consumer(spec), then bind to it.
  static Result<std::unique_ptr<PullConsumer>> create(Connection& connection,
                                                      const ConsumerSpec& spec);
  // Pulls from an existing durable without creating or changing it (needs only the permission
  // to read its info and pull from it). kNotFound-like error when it does not exist yet.
  static Result<std::unique_ptr<PullConsumer>> bind(Connection& connection,
                                                    const std::string& stream,
                                                    const std::string& durable);
  ~PullConsumer();
  PullConsumer(const PullConsumer&) = delete;
  PullConsumer& operator=(const PullConsumer&) = delete;

  // Up to `batch` messages, waiting at most `timeout`; an empty vector when none arrived.
  Result<std::vector<DeliveredMessage>> fetch(int batch, std::chrono::milliseconds timeout);

 private:
  PullConsumer() = default;
  struct __natsSubscription* sub_ = nullptr;
};

}  // namespace mpli::bus
