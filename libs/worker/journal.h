// The worker's journal: an append-only file of the outcomes it has published, so a redelivered
// item is answered from it instead of running its handler twice. One line per outcome (the
// WorkUpdate's canonical JSON), fsync'd before the item is acked. The file holds the outcomes'
// secrets, so it is created mode 0600 in the worker's state directory.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "libs/core/status.h"
#include "mpli/delivery/v1/delivery.pb.h"

namespace mpli::worker {

class Journal {
 public:
  // Opens (creating) <dir>/journal.jsonl and loads it. A line that does not parse (the torn tail
  // of a crash mid-write) is skipped and counted.
  static Result<std::unique_ptr<Journal>> open(const std::string& dir);
  ~Journal();
  Journal(const Journal&) = delete;
  Journal& operator=(const Journal&) = delete;

  // The outcome to republish for (work_id, attempt): the one of this attempt if there is one,
  // else a finished outcome (succeeded, or failed not retryable) of any attempt.
  std::optional<delivery::v1::WorkUpdate> find(const std::string& work_id, int attempt) const;
  // Appends and fsyncs; returns only once the line is on disk.
  Status append(const delivery::v1::WorkUpdate& outcome);

  size_t entries() const;
  size_t skipped_lines() const { return skipped_; }
  const std::string& path() const { return path_; }

 private:
  Journal() = default;
  void remember(const delivery::v1::WorkUpdate& outcome);

  std::string path_;
  int fd_ = -1;
  size_t skipped_ = 0;
  mutable std::mutex mutex_;
  std::map<std::string, std::map<int, delivery::v1::WorkUpdate>> outcomes_;
};

}  // namespace mpli::worker
