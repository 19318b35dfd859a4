// The C++ worker SDK: a provider's worker is a handler per operation and a call to run().
// The SDK speaks the worker protocol (docs/worker-protocol.md): it binds to the durable pull
// consumer "worker-<provider_id>" on MPLI_WORK, decodes each WorkItem (canonical JSON), keeps the
// item alive while the handler runs (in-progress acks and "progress" WorkUpdates every
// progress_interval, which also extend delivery's deadline), publishes exactly one outcome on
// mpli.work.v1.result.<provider_id> and only then acks the item. A redelivered item whose outcome
// the journal holds is answered from the journal without running the handler again; handlers must
// still be idempotent on work_id (a crash between the handler and the journal re-runs it).
//
//   int main(int argc, char** argv) {
//     return mpli::worker::worker_main(argc, argv, "exec", {}, [](mpli::worker::Worker& w,
//                                                                const mpli::worker::Flags&) {
//       w.on("provision", [](const mpli::worker::Work& work, mpli::worker::Progress& progress) {
//         progress.report(50, "half way");
//         return mpli::worker::Outcome::success({{"host", "db.example"}}, {{"password", "..."}});
//       });
//       return mpli::Status::ok();
//     });
//   }
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "libs/core/status.h"
#include "mpli/delivery/v1/delivery.pb.h"

namespace mpli::worker {

using Work = delivery::v1::WorkItem;
using StringMap = std::map<std::string, std::string>;

// What a handler returns: success with outputs (non-secret) and secrets (encrypted by delivery,
// shown only to the owning consumer), or a failure that says whether another attempt may help.
struct Outcome {
  bool succeeded = false;
  StringMap outputs;
  StringMap secrets;
  std::string message;     // human-readable; never put a secret here
  bool retryable = false;  // failure only

  static Outcome success(StringMap outputs = {}, StringMap secrets = {}, std::string message = "");
  static Outcome failure(std::string message, bool retryable);
};

// Handed to a running handler: report progress (extends the deadline) and notice a stop.
class Progress {
 public:
  virtual ~Progress() = default;
  // Publishes a "progress" WorkUpdate and an in-progress ack at once (besides the periodic ones).
  virtual void report(int percent, const std::string& message) = 0;
  // True once the worker is stopping or the item's deadline has passed: a long handler should
  // return a retryable failure soon.
  virtual bool should_stop() const = 0;
};

// `work` is the whole WorkItem: parameters, outputs, and for a task (portability's export,
// import, ...) work.task_id(), work.migration_id() and work.secrets() (from the task's secret
// sources, e.g. "source_migration_password"). The SDK never logs parameters or secrets; a
// handler must not either.
using Handler = std::function<Outcome(const Work& work, Progress& progress)>;

struct WorkerOptions {
  std::string nats_url = "nats://127.0.0.1:4222";
  std::string nats_user;      // the provider's worker user (mpli up writes it)
  std::string nats_password;  // never logged
  std::string provider_id;    // required: which work this worker takes
  // The worker kind it is ("postgresql", "exec", ...; worker_main sets it). A provider's items
  // share one consumer, so an item of another kind is handed back (nak, 1 s) for that kind's
  // worker to take. "" takes every kind.
  std::string worker_kind;
  // Where the journal of finished work ids lives ("" = no journal: idempotent handlers only).
  std::string state_dir;
  int concurrency = 1;  // items handled at once
  std::chrono::milliseconds progress_interval{std::chrono::seconds(5)};
  std::chrono::milliseconds fetch_wait{std::chrono::seconds(1)};  // one pull's wait
  // create() waits for the bus while this says true (empty: until it answers).
  std::function<bool()> keep_connecting;
};

class Worker {
 public:
  static Result<std::unique_ptr<Worker>> create(const WorkerOptions& options);
  ~Worker();
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  // Registers the handler of one operation ("provision", "modify", "deprovision", "export",
  // "import"). An item for an operation without a handler fails, not retryable.
  void on(const std::string& operation, Handler handler);

  // Pulls and handles work until stop() (or SIGTERM/SIGINT with worker_main). Waits for the
  // consumer "worker-<provider_id>" to exist (delivery creates it with the provider's first
  // order) and for NATS to come back after an outage.
  Status run();
  void stop();

  struct Impl;

 private:
  explicit Worker(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Command-line and environment of every worker binary: --nats-url (MPLI_NATS_URL),
// --nats-user (MPLI_NATS_USER), --nats-password-file (MPLI_NATS_PASSWORD_FILE; the password is
// never taken from an argument), --provider (MPLI_PROVIDER_ID), --state-dir (MPLI_STATE_DIR),
// --concurrency, plus `extra` flags a worker declares (name -> value, e.g. "--playbook-dir").
struct Flags {
  WorkerOptions options;
  StringMap extra;
  std::string log_level = "info";  // --log-level (MPLI_LOG_LEVEL)
};

// The flag parsing worker_main does (also --progress-interval-ms and --log-level), for tests.
Result<Flags> parse_worker_flags(int argc, char** argv,
                                 const std::vector<std::string>& extra_flags);

// Parses flags, sets up logging (JSON lines on stderr, service "worker-<kind>"), creates the
// worker, calls `setup` to register handlers, runs until SIGTERM/SIGINT. Returns the exit code:
// 0 after a clean stop, 2 on bad flags or a failed setup, 1 on a fatal error.
int worker_main(int argc, char** argv, const std::string& kind,
                const std::vector<std::string>& extra_flags,
                const std::function<Status(Worker&, const Flags&)>& setup);

// The worker protocol's subjects and names, so no worker spells them by hand.
std::string work_subject(const std::string& provider_id, const std::string& operation);
std::string result_subject(const std::string& provider_id);
std::string worker_consumer(const std::string& provider_id);  // "worker-<provider_id>"

}  // namespace mpli::worker
