#include "libs/worker/journal.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "libs/worker/work_json.h"

namespace mpli::worker {
namespace {

Status errno_status(const std::string& what) {
  return internal_error(what + ": " + std::strerror(errno));
}

Status write_all(int fd, const std::string& data) {
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return errno_status("journal write");
    done += static_cast<size_t>(n);
  }
  return Status::ok();
}

}  // namespace

Result<std::unique_ptr<Journal>> Journal::open(const std::string& dir) {
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
    return errno_status("state directory " + dir);
  }
  std::unique_ptr<Journal> journal(new Journal());
  journal->path_ = dir + "/journal.jsonl";
  std::string content;
  {
    std::ifstream in(journal->path_, std::ios::binary);
    std::stringstream buffer;
    buffer << in.rdbuf();
    content = buffer.str();
  }
  std::istringstream lines(content);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.empty()) continue;
    auto update = decode_work_update(line);
    if (!update.is_ok() || update->work_id().empty()) {
      ++journal->skipped_;
      continue;
    }
    journal->remember(*update);
  }
  journal->fd_ = ::open(journal->path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (journal->fd_ < 0) return errno_status("journal " + journal->path_);
  // A torn last line (crash mid-write) must not swallow the next entry: end it first.
  if (!content.empty() && content.back() != '\n') {
    MPLI_RETURN_IF_ERROR(write_all(journal->fd_, "\n"));
  }
  return journal;
}

Journal::~Journal() {
  if (fd_ >= 0) ::close(fd_);
}

void Journal::remember(const delivery::v1::WorkUpdate& outcome) {
  outcomes_[outcome.work_id()][outcome.attempt()] = outcome;
}

std::optional<delivery::v1::WorkUpdate> Journal::find(const std::string& work_id,
                                                      int attempt) const {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = outcomes_.find(work_id);
  if (it == outcomes_.end()) return std::nullopt;
  auto same = it->second.find(attempt);
  if (same != it->second.end()) return same->second;
  for (const auto& [other_attempt, outcome] : it->second) {
    if (is_final(outcome)) return outcome;
  }
  return std::nullopt;
}

Status Journal::append(const delivery::v1::WorkUpdate& outcome) {
  std::lock_guard<std::mutex> lock(mutex_);
  MPLI_RETURN_IF_ERROR(write_all(fd_, encode_work_update(outcome) + "\n"));
  if (::fsync(fd_) != 0) return errno_status("journal fsync");
  remember(outcome);
  return Status::ok();
}

size_t Journal::entries() const {
  std::lock_guard<std::mutex> lock(mutex_);
  size_t n = 0;
  for (const auto& [work_id, by_attempt] : outcomes_) n += by_attempt.size();
  return n;
}

}  // namespace mpli::worker
