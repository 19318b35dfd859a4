// A fixed set of threads with a bounded queue in front. Work beyond the queue is refused at
// once (the caller answers 503 + Retry-After) instead of waiting, so a burst of slow requests
// costs their own callers a retry, never the threads that serve everything else.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace mpli::gateway {

class BoundedExecutor {
 public:
  // `threads` run tasks; up to `queue_limit` more wait for one of them.
  BoundedExecutor(std::string name, int threads, int queue_limit);
  ~BoundedExecutor();
  BoundedExecutor(const BoundedExecutor&) = delete;
  BoundedExecutor& operator=(const BoundedExecutor&) = delete;

  // Queues `task`; false (and `task` is dropped unrun) when the queue is full or the executor
  // is stopping. The task runs with the submitting thread's log correlation id, so a request's
  // id follows it onto the executor (and into the bus calls made there).
  bool try_submit(std::function<void()> task);

  // Refuses new work and lets running and queued tasks finish within `timeout`; tasks still
  // queued then are dropped unrun, and the threads are joined once their running task ends.
  void stop(std::chrono::milliseconds timeout);

  const std::string& name() const { return name_; }
  int threads() const { return static_cast<int>(threads_.size()); }
  int queue_limit() const { return queue_limit_; }

  // For /metrics: tasks waiting for a thread, tasks on a thread, tasks refused so far.
  struct Load {
    int queued = 0;
    int running = 0;
    uint64_t refused = 0;
  };
  Load load();

 private:
  void work();

  const std::string name_;
  const int queue_limit_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::condition_variable idle_;
  std::deque<std::function<void()>> queue_;
  int running_ = 0;
  uint64_t refused_ = 0;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace mpli::gateway
