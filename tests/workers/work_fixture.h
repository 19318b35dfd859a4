// The test plays delivery: it sets up MPLI_WORK and the consumer worker-<provider>, publishes
// WorkItems as delivery would, and reads the WorkUpdates workers publish.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "libs/bus/connection.h"
#include "libs/bus/jetstream.h"
#include "libs/process/child_process.h"
#include "libs/testing/environment.h"
#include "mpli/delivery/v1/delivery.pb.h"

namespace mpli::testing {

class FakeDelivery {
 public:
  FakeDelivery(const std::string& nats_url, const std::string& provider_id,
               std::chrono::milliseconds ack_wait = std::chrono::seconds(30),
               const std::string& user = "", const std::string& password = "");

  delivery::v1::WorkItem item(const std::string& work_id, const std::string& operation,
                              const std::string& artifact = "") const;
  void publish(const delivery::v1::WorkItem& item);
  // The next update (any kind), or fails the test when none comes within `within`.
  delivery::v1::WorkUpdate next_update(std::chrono::milliseconds within = std::chrono::seconds(30));
  // Updates until the outcome of (work_id, attempt); progress updates are kept in `progress`.
  delivery::v1::WorkUpdate outcome(const std::string& work_id, int attempt,
                                   std::chrono::milliseconds within = std::chrono::seconds(60));
  // Items still in the stream for the worker (not acked yet).
  uint64_t pending_work();

  std::vector<delivery::v1::WorkUpdate> progress;
  bus::Connection& connection() { return *connection_; }

 private:
  std::string provider_id_;
  std::unique_ptr<bus::Connection> connection_;
  std::unique_ptr<bus::PullConsumer> updates_;
  std::vector<delivery::v1::WorkUpdate> buffered_;
};

// Starts build/bin/<binary> with args and environment; output to <dir>/<binary>.log.
process::ChildProcess start_worker(const std::string& program, const std::vector<std::string>& args,
                                   const std::map<std::string, std::string>& environment,
                                   const std::string& log_file);

// Writes an executable file (a test's script).
void write_script(const std::string& path, const std::string& text);
std::string read_file(const std::string& path);

}  // namespace mpli::testing
