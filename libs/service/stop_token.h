// Cooperative stop for background work: the runtime owns a StopSource per service and hands
// StopTokens to workers, consumers and timers. Long work checks the token (or sleeps on it);
// blocking I/O registers a callback that aborts it (a curl transfer, a socket wait).
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

namespace mpli::service {

class StopState {
 public:
  void request_stop() {
    std::vector<std::function<void()>> callbacks;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (stopped_) return;
      stopped_ = true;
      callbacks.swap(callbacks_);
    }
    wake_.notify_all();
    for (auto& callback : callbacks) callback();
  }
  bool stop_requested() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return stopped_;
  }
  // Sleeps up to `duration`; true when a stop was requested (at once or while waiting).
  bool wait_for(std::chrono::milliseconds duration) const {
    std::unique_lock<std::mutex> lock(mutex_);
    return wake_.wait_for(lock, duration, [this] { return stopped_; });
  }
  // Runs `callback` when a stop is requested (at once when it already was).
  void on_stop(std::function<void()> callback) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (!stopped_) {
        callbacks_.push_back(std::move(callback));
        return;
      }
    }
    callback();
  }

 private:
  mutable std::mutex mutex_;
  mutable std::condition_variable wake_;
  bool stopped_ = false;
  std::vector<std::function<void()>> callbacks_;
};

// What background work sees: cheap to copy, never outlives the state it shares.
class StopToken {
 public:
  StopToken() : state_(std::make_shared<StopState>()) {}
  explicit StopToken(std::shared_ptr<StopState> state) : state_(std::move(state)) {}
  bool stop_requested() const { return state_->stop_requested(); }
  bool wait_for(std::chrono::milliseconds duration) const { return state_->wait_for(duration); }
  void on_stop(std::function<void()> callback) const { state_->on_stop(std::move(callback)); }
  // For code that polls a flag (a curl progress callback): a pointer valid while the token is.
  const StopState* state() const { return state_.get(); }

 private:
  std::shared_ptr<StopState> state_;
};

class StopSource {
 public:
  StopSource() : state_(std::make_shared<StopState>()) {}
  StopToken token() const { return StopToken(state_); }
  void request_stop() { state_->request_stop(); }
  bool stop_requested() const { return state_->stop_requested(); }

 private:
  std::shared_ptr<StopState> state_;
};

}  // namespace mpli::service
