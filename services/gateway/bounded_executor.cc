#include "services/gateway/bounded_executor.h"

#include "libs/core/log.h"

namespace mpli::gateway {

BoundedExecutor::BoundedExecutor(std::string name, int threads, int queue_limit)
    : name_(std::move(name)), queue_limit_(queue_limit) {
  for (int i = 0; i < threads; ++i) threads_.emplace_back([this] { work(); });
}

BoundedExecutor::~BoundedExecutor() { stop(std::chrono::milliseconds(0)); }

bool BoundedExecutor::try_submit(std::function<void()> task) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    // A free thread takes the task at once; only tasks beyond the threads count as queued.
    int waiting = static_cast<int>(queue_.size()) + running_ - static_cast<int>(threads_.size());
    if (stopping_ || waiting >= queue_limit_) {
      ++refused_;
      return false;
    }
    queue_.push_back([correlation = log::correlation_id(), task = std::move(task)] {
      log::CorrelationScope scope(correlation);
      task();
    });
  }
  wake_.notify_one();
  return true;
}

BoundedExecutor::Load BoundedExecutor::load() {
  std::lock_guard<std::mutex> lock(mutex_);
  return {static_cast<int>(queue_.size()), running_, refused_};
}

void BoundedExecutor::work() {
  while (true) {
    std::function<void()> task;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      wake_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, and nothing left to do
      task = std::move(queue_.front());
      queue_.pop_front();
      ++running_;
    }
    try {
      task();
    } catch (const std::exception& e) {
      // A task is a route handler answering its own request; one that throws is a bug, but it
      // must not take the thread (and with it the executor's capacity) down.
      log::error("task failed", {{"executor", name_}, {"error", e.what()}});
    }
    task = nullptr;  // its captures (a request's responder) go now, not at the next task
    {
      std::lock_guard<std::mutex> lock(mutex_);
      --running_;
    }
    idle_.notify_all();
  }
}

void BoundedExecutor::stop(std::chrono::milliseconds timeout) {
  std::deque<std::function<void()>> dropped;
  bool finished = false;
  {
    std::unique_lock<std::mutex> lock(mutex_);
    stopping_ = true;
    wake_.notify_all();
    finished = idle_.wait_for(lock, timeout, [&] { return queue_.empty() && running_ == 0; });
    dropped.swap(queue_);
  }
  wake_.notify_all();
  dropped.clear();  // outside the lock: destroying a task answers its request
  if (!finished) log::warn("waiting for tasks past the stop timeout", {{"executor", name_}});
  // Running tasks end by their own deadlines (every bus call has one); the runtime's shutdown
  // watchdog ends the process should one not.
  for (auto& thread : threads_) thread.join();
  threads_.clear();
}

}  // namespace mpli::gateway
