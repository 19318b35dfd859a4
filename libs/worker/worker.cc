#include "libs/worker/worker.h"

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <utility>

#include "libs/bus/connection.h"
#include "libs/bus/jetstream.h"
#include "libs/core/log.h"
#include "libs/worker/journal.h"
#include "libs/worker/work_json.h"

namespace mpli::worker {

using delivery::v1::WorkUpdate;

namespace {

// Sequences of one delivery of an item start at (delivery_count - 1) * kSequenceStride + 1, so a
// redelivery of the same attempt never reuses a Nats-Msg-Id its crashed predecessor published
// (the stream would drop the new outcome as a duplicate of an old progress update).
constexpr int64_t kSequenceStride = 100000;
constexpr int kPublishTries = 8;

int64_t now_unix_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

bus::Headers json_headers() { return {{"Content-Type", "application/json"}}; }

}  // namespace

Outcome Outcome::success(StringMap outputs, StringMap secrets, std::string message) {
  Outcome outcome;
  outcome.succeeded = true;
  outcome.outputs = std::move(outputs);
  outcome.secrets = std::move(secrets);
  outcome.message = std::move(message);
  return outcome;
}

Outcome Outcome::failure(std::string message, bool retryable) {
  Outcome outcome;
  outcome.message = std::move(message);
  outcome.retryable = retryable;
  return outcome;
}

std::string work_subject(const std::string& provider_id, const std::string& operation) {
  return "mpli.work.v1." + provider_id + "." + operation;
}
std::string result_subject(const std::string& provider_id) {
  return "mpli.work.v1.result." + provider_id;
}
std::string worker_consumer(const std::string& provider_id) { return "worker-" + provider_id; }

struct Worker::Impl {
  WorkerOptions options;
  std::unique_ptr<bus::Connection> connection;
  // JetStream's advisory that the work consumer was created (delivery makes it with the
  // provider's first item): a waiting worker binds at once instead of on its next poll.
  // Declared after the connection: unsubscribed before it closes.
  std::unique_ptr<bus::Subscription> consumer_created;
  bool consumer_announced = false;  // guarded by wait_mutex
  std::unique_ptr<Journal> journal;
  std::mutex handlers_mutex;
  std::map<std::string, Handler> handlers;
  std::atomic<bool> stopping{false};
  std::mutex wait_mutex;
  std::condition_variable wait_cv;

  // Sleeps up to `duration`, waking at once on stop(). False when stopping.
  bool pause(std::chrono::milliseconds duration) {
    std::unique_lock<std::mutex> lock(wait_mutex);
    wait_cv.wait_for(lock, duration, [this] { return stopping.load(); });
    return !stopping.load();
  }

  // pause(), also woken by the consumer's creation advisory. False when stopping.
  bool pause_for_consumer(std::chrono::milliseconds duration) {
    std::unique_lock<std::mutex> lock(wait_mutex);
    wait_cv.wait_for(lock, duration, [this] { return stopping.load() || consumer_announced; });
    consumer_announced = false;
    return !stopping.load();
  }
  void announce_consumer() {
    {
      std::lock_guard<std::mutex> lock(wait_mutex);
      consumer_announced = true;
    }
    wait_cv.notify_all();
  }

  void fetch_loop(int index);
  void handle(bus::DeliveredMessage& delivered);
  // Publishes until the stream acknowledges it (bounded tries; every try waits for the ack).
  Status publish(const WorkUpdate& update);
  void finish(bus::DeliveredMessage& delivered, const WorkUpdate& outcome, bool from_journal);
};

// The Progress a handler sees; also the periodic keep-alive while it runs.
class ItemProgress : public Progress {
 public:
  ItemProgress(Worker::Impl& impl, const Work& work, bus::DeliveredMessage& delivered)
      : impl_(impl), work_(work), delivered_(delivered) {
    next_sequence_ =
        static_cast<int64_t>(delivered.delivery_count() > 0 ? delivered.delivery_count() - 1 : 0) *
            kSequenceStride +
        1;
  }

  void report(int percent, const std::string& message) override {
    std::lock_guard<std::mutex> lock(mutex_);
    percent_ = percent < 0 ? 0 : (percent > 100 ? 100 : percent);
    message_ = message;
    send_locked();
  }

  bool should_stop() const override {
    if (impl_.stopping.load()) return true;
    return work_.deadline_unix_ms() > 0 && now_unix_ms() > work_.deadline_unix_ms();
  }

  void tick() {
    std::lock_guard<std::mutex> lock(mutex_);
    send_locked();
  }

  // The sequence the outcome takes: after every progress update of this delivery.
  int next_sequence() {
    std::lock_guard<std::mutex> lock(mutex_);
    return static_cast<int>(next_sequence_++);
  }

 private:
  void send_locked() {
    Status acked = delivered_.in_progress();
    if (!acked.is_ok()) log::warn("in-progress ack failed", {{"error", acked.to_string()}});
    WorkUpdate update;
    update.set_work_id(work_.work_id());
    update.set_attempt(work_.attempt());
    update.set_provider_id(work_.provider_id());
    update.set_kind("progress");
    update.set_percent(percent_);
    update.set_message(message_);
    update.set_sequence(static_cast<int>(next_sequence_++));
    auto published =
        bus::publish_durable(*impl_.connection, result_subject(work_.provider_id()),
                             encode_work_update(update), update_msg_id(update), json_headers());
    if (!published.is_ok()) {
      log::warn("progress update not published", {{"error", published.status().to_string()}});
    }
  }

  Worker::Impl& impl_;
  const Work& work_;
  bus::DeliveredMessage& delivered_;
  std::mutex mutex_;
  int64_t next_sequence_ = 1;
  int percent_ = 0;
  std::string message_ = "working";
};

Status Worker::Impl::publish(const WorkUpdate& update) {
  std::chrono::milliseconds backoff(250);
  Status last;
  for (int attempt = 0; attempt < kPublishTries; ++attempt) {
    auto published =
        bus::publish_durable(*connection, result_subject(update.provider_id()),
                             encode_work_update(update), update_msg_id(update), json_headers());
    if (published.is_ok()) return Status::ok();
    last = published.status();
    log::warn("outcome not published yet",
              {{"work_id", update.work_id()}, {"error", last.to_string()}});
    std::this_thread::sleep_for(backoff);  // not pause(): a stopping worker still finishes this
    backoff = std::min(backoff * 2, std::chrono::milliseconds(4000));
  }
  return last;
}

void Worker::Impl::finish(bus::DeliveredMessage& delivered, const WorkUpdate& outcome,
                          bool from_journal) {
  Status published = publish(outcome);
  if (!published.is_ok()) {
    // Not acked: the item comes back after the ack wait and is handled again.
    log::error("outcome not published; the item will be redelivered",
               {{"work_id", outcome.work_id()}, {"error", published.to_string()}});
    return;
  }
  if (journal && !from_journal) {
    Status written = journal->append(outcome);
    if (!written.is_ok()) {
      log::error("journal write failed", {{"error", written.to_string()}});
    }
  }
  Status acked = delivered.ack();
  if (!acked.is_ok()) {
    log::warn("ack failed; the journal answers the redelivery",
              {{"work_id", outcome.work_id()}, {"error", acked.to_string()}});
  }
  log::info("work finished", {{"work_id", outcome.work_id()},
                              {"attempt", outcome.attempt()},
                              {"kind", outcome.kind()},
                              {"retryable", outcome.retryable()},
                              {"from_journal", from_journal}});
}

void Worker::Impl::handle(bus::DeliveredMessage& delivered) {
  auto decoded = decode_work_item(delivered.message().data);
  if (!decoded.is_ok()) {
    // No work_id to answer to, and no later delivery will parse better.
    log::error("malformed work item dropped",
               {{"subject", delivered.message().subject}, {"error", decoded.status().to_string()}});
    (void)delivered.term();
    return;
  }
  const Work& work = *decoded;
  log::CorrelationScope scope(work.work_id());
  if (work.provider_id() != options.provider_id) {
    log::error("work item for another provider dropped",
               {{"work_id", work.work_id()}, {"provider_id", work.provider_id()}});
    (void)delivered.term();
    return;
  }

  if (!options.worker_kind.empty() && !work.worker_kind().empty() &&
      work.worker_kind() != options.worker_kind) {
    // The provider's workers of every kind share its consumer: hand the item back at once, so
    // that the right worker takes it within milliseconds (a second here was a second on every
    // task of a migration, write downtime included). After ten hand-backs, once a second: the
    // right worker may be down, and the item need not circle the bus meanwhile.
    const auto delay = delivered.delivery_count() <= 10 ? std::chrono::milliseconds(20)
                                                        : std::chrono::milliseconds(1000);
    log::debug("work item of another worker kind handed back",
               {{"work_id", work.work_id()},
                {"worker_kind", work.worker_kind()},
                {"delay_ms", static_cast<int64_t>(delay.count())}});
    (void)delivered.nak(delay);
    return;
  }

  ItemProgress progress(*this, work, delivered);
  WorkUpdate outcome;
  outcome.set_work_id(work.work_id());
  outcome.set_attempt(work.attempt());
  outcome.set_provider_id(work.provider_id());

  if (journal) {
    if (auto known = journal->find(work.work_id(), work.attempt())) {
      if (known->attempt() == work.attempt()) {
        finish(delivered, *known, /*from_journal=*/true);
        return;
      }
      // A finished outcome of an earlier attempt answers this one: the work is done.
      outcome = *known;
      outcome.set_attempt(work.attempt());
      outcome.set_sequence(progress.next_sequence());
      finish(delivered, outcome, /*from_journal=*/false);
      return;
    }
  }

  // Never the parameters' or secrets' values: only what names the work.
  log::info("work started", {{"work_id", work.work_id()},
                             {"attempt", work.attempt()},
                             {"operation", work.operation()},
                             {"order_id", work.order_id()},
                             {"task_id", work.task_id()},
                             {"migration_id", work.migration_id()},
                             {"secrets", static_cast<int64_t>(work.secrets_size())}});
  Outcome result;
  Handler handler;
  {
    std::lock_guard<std::mutex> lock(handlers_mutex);
    auto it = handlers.find(work.operation());
    if (it != handlers.end()) handler = it->second;
  }
  if (!handler) {
    result = Outcome::failure("operation \"" + work.operation() + "\" is not supported", false);
  } else if (work.deadline_unix_ms() > 0 && now_unix_ms() > work.deadline_unix_ms()) {
    result = Outcome::failure("the deadline passed before the work started", true);
  } else {
    std::mutex done_mutex;
    std::condition_variable done_cv;
    bool done = false;
    std::thread keep_alive([&] {
      std::unique_lock<std::mutex> lock(done_mutex);
      while (!done_cv.wait_for(lock, options.progress_interval, [&] { return done; })) {
        lock.unlock();
        progress.tick();
        lock.lock();
      }
    });
    try {
      result = handler(work, progress);
    } catch (const std::exception& e) {
      result = Outcome::failure(std::string("handler error: ") + e.what(), false);
    } catch (...) {
      result = Outcome::failure("handler error", false);
    }
    {
      std::lock_guard<std::mutex> lock(done_mutex);
      done = true;
    }
    done_cv.notify_all();
    keep_alive.join();
  }

  if (stopping.load() && !result.succeeded && result.retryable) {
    // Interrupted by the stop: hand the item back undone rather than spend an attempt on it.
    log::info("work handed back at stop", {{"work_id", work.work_id()}});
    (void)delivered.nak();
    return;
  }
  outcome.set_kind(result.succeeded ? "succeeded" : "failed");
  outcome.set_message(result.message);
  if (result.succeeded) {
    for (const auto& [key, value] : result.outputs) (*outcome.mutable_outputs())[key] = value;
    for (const auto& [key, value] : result.secrets) (*outcome.mutable_secrets())[key] = value;
  } else {
    outcome.set_retryable(result.retryable);
  }
  outcome.set_sequence(progress.next_sequence());
  finish(delivered, outcome, /*from_journal=*/false);
}

void Worker::Impl::fetch_loop(int index) {
  std::unique_ptr<bus::PullConsumer> consumer;
  std::string last_error;
  const std::string durable = worker_consumer(options.provider_id);
  std::chrono::milliseconds backoff(250);
  while (!stopping.load()) {
    if (!consumer) {
      auto bound = bus::PullConsumer::bind(*connection, "MPLI_WORK", durable);
      if (!bound.is_ok()) {
        std::string error = bound.status().to_string();
        if (error != last_error && index == 0) {
          log::info("waiting for the work consumer", {{"consumer", durable}, {"error", error}});
        }
        last_error = error;
        pause_for_consumer(backoff);
        // At most a second (when the advisory is missed): delivery makes a provider's consumer
        // with its first work item, and that item (a migration's first task at a new provider,
        // say) waits for this bind.
        backoff = std::min(backoff * 2, std::chrono::milliseconds(1000));
        continue;
      }
      consumer = std::move(bound).value();
      backoff = std::chrono::milliseconds(250);
      last_error.clear();
      if (index == 0) log::info("bound to the work consumer", {{"consumer", durable}});
    }
    auto fetched = consumer->fetch(1, options.fetch_wait);
    if (!fetched.is_ok()) {
      if (stopping.load()) break;
      log::warn("fetch failed; binding again", {{"error", fetched.status().to_string()}});
      consumer.reset();
      pause(backoff);
      continue;
    }
    for (auto& delivered : *fetched) handle(delivered);
  }
}

Result<std::unique_ptr<Worker>> Worker::create(const WorkerOptions& options) {
  if (options.provider_id.empty()) return invalid_field("provider_id", "required");
  if (options.provider_id == "result") {
    return invalid_field("provider_id", "\"result\" is reserved");
  }
  if (options.provider_id.find_first_of(".*> \t") != std::string::npos) {
    return invalid_field("provider_id", "must be one subject token");
  }
  if (options.concurrency < 1) return invalid_field("concurrency", "must be 1 or more");
  if (options.progress_interval.count() <= 0) {
    return invalid_field("progress_interval", "must be positive");
  }
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  if (!options.state_dir.empty()) {
    MPLI_ASSIGN_OR_RETURN(impl->journal, Journal::open(options.state_dir));
    log::info("journal loaded", {{"path", impl->journal->path()},
                                 {"entries", impl->journal->entries()},
                                 {"skipped_lines", impl->journal->skipped_lines()}});
  }
  bus::ConnectOptions connect;
  connect.url = options.nats_url;
  connect.name = "mpli-worker-" + options.provider_id;
  connect.user = options.nats_user;
  connect.password = options.nats_password;
  connect.inbox_prefix = "_INBOX_" + options.provider_id;
  connect.keep_trying = options.keep_connecting;
  MPLI_ASSIGN_OR_RETURN(impl->connection, bus::Connection::connect(connect));
  return std::unique_ptr<Worker>(new Worker(std::move(impl)));
}

Worker::Worker(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Worker::~Worker() {
  stop();
  if (impl_->connection) (void)impl_->connection->drain(std::chrono::seconds(2));
}

void Worker::on(const std::string& operation, Handler handler) {
  std::lock_guard<std::mutex> lock(impl_->handlers_mutex);
  impl_->handlers[operation] = std::move(handler);
}

Status Worker::run() {
  // Before the first bind, so that a consumer created after a failed bind is never missed.
  // Without the permission (a NATS user of an older hub) the server refuses the subscription
  // asynchronously, and binding falls back to polling.
  auto created = impl_->connection->subscribe(
      "$JS.EVENT.ADVISORY.CONSUMER.CREATED.MPLI_WORK." +
          worker_consumer(impl_->options.provider_id),
      [impl = impl_.get()](const bus::Message&) { impl->announce_consumer(); });
  if (created.is_ok()) {
    impl_->consumer_created = std::move(created).value();
  } else {
    log::warn("no advisory of the work consumer's creation; binding polls",
              {{"error", created.status().to_string()}});
  }
  std::vector<std::thread> threads;
  threads.reserve(static_cast<size_t>(impl_->options.concurrency));
  for (int i = 0; i < impl_->options.concurrency; ++i) {
    threads.emplace_back([this, i] { impl_->fetch_loop(i); });
  }
  for (auto& thread : threads) thread.join();
  return Status::ok();
}

void Worker::stop() {
  {
    std::lock_guard<std::mutex> lock(impl_->wait_mutex);
    impl_->stopping.store(true);
  }
  impl_->wait_cv.notify_all();
}

}  // namespace mpli::worker
