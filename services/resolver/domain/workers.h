// Threads kept for the parts of one resolution that run side by side: matching each run of
// providers' candidates, building each requirement's placements, ordering and bucketing them.
// Starting a thread for each part cost up to half a millisecond in the service (the other core
// busy with the request's bus traffic when it was asked for).
#pragma once

#include <condition_variable>
#include <cstddef>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace mpli::resolver {

class Workers {
 public:
  // `threads` in all, the caller's included: threads - 1 are started (none for 1).
  explicit Workers(size_t threads);
  ~Workers();
  Workers(const Workers&) = delete;
  Workers& operator=(const Workers&) = delete;

  size_t size() const { return threads_.size() + 1; }

  // Runs task(i) for every i < count and returns when all have: thread t of size() takes the
  // i with i % size() == t, the caller being thread 0. Tasks must touch only what is theirs.
  // One run at a time (the resolver's lock serialises resolutions).
  void run(size_t count, const std::function<void(size_t)>& task);

 private:
  void work(size_t thread);

  std::vector<std::thread> threads_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::condition_variable done_;
  const std::function<void(size_t)>* task_ = nullptr;
  size_t count_ = 0;
  size_t generation_ = 0;  // one per run
  size_t busy_ = 0;        // pool threads still on this run
  bool stopping_ = false;
};

}  // namespace mpli::resolver
