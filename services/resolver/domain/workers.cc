#include "services/resolver/domain/workers.h"

namespace mpli::resolver {

Workers::Workers(size_t threads) {
  for (size_t t = 1; t < threads; ++t) threads_.emplace_back([this, t] { work(t); });
}

Workers::~Workers() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  for (auto& thread : threads_) thread.join();
}

void Workers::run(size_t count, const std::function<void(size_t)>& task) {
  const size_t threads = size();
  if (threads == 1 || count <= 1) {
    for (size_t i = 0; i < count; ++i) task(i);
    return;
  }
  {
    std::lock_guard<std::mutex> lock(mutex_);
    task_ = &task;
    count_ = count;
    busy_ = threads_.size();
    ++generation_;
  }
  wake_.notify_all();
  for (size_t i = 0; i < count; i += threads) task(i);
  std::unique_lock<std::mutex> lock(mutex_);
  done_.wait(lock, [this] { return busy_ == 0; });
  task_ = nullptr;
}

void Workers::work(size_t thread) {
  size_t seen = 0;
  for (;;) {
    const std::function<void(size_t)>* task = nullptr;
    size_t count = 0;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      wake_.wait(lock, [&] { return stopping_ || generation_ != seen; });
      if (stopping_) return;
      seen = generation_;
      task = task_;
      count = count_;
    }
    for (size_t i = thread; i < count; i += size()) (*task)(i);
    {
      std::lock_guard<std::mutex> lock(mutex_);
      --busy_;
    }
    done_.notify_one();
  }
}

}  // namespace mpli::resolver
