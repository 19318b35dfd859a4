#include "services/gateway/ops/read_cache.h"

#include "services/gateway/ops/etag.h"

namespace mpli::gateway {

uint64_t ReadCache::generation() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return generation_;
}

std::optional<HttpResponse> ReadCache::find(const std::string& key, Clock::time_point now) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = entries_.find(key);
  if (it == entries_.end()) return std::nullopt;
  if (now - it->second.stored >= limits_.max_age) {
    erase(it);
    return std::nullopt;
  }
  recency_.splice(recency_.begin(), recency_, it->second.recency);
  return it->second.response;
}

void ReadCache::store(const std::string& key, uint64_t generation, HttpResponse response,
                      Clock::time_point now) {
  if (response.status != 200 || response.body.size() > limits_.max_bytes) return;
  // The tag is computed once, outside the lock; with_etag() keeps a tag that is already there.
  response.headers.emplace_back("ETag", strong_etag(response.body));
  std::lock_guard<std::mutex> lock(mutex_);
  if (generation != generation_ || limits_.max_entries == 0) return;
  if (auto old = entries_.find(key); old != entries_.end()) erase(old);
  while (!entries_.empty() && (entries_.size() >= limits_.max_entries ||
                               bytes_ + response.body.size() > limits_.max_bytes)) {
    erase(entries_.find(recency_.back()));
  }
  bytes_ += response.body.size();
  recency_.push_front(key);
  entries_.emplace(key, Entry{std::move(response), now, recency_.begin()});
}

void ReadCache::invalidate() {
  std::lock_guard<std::mutex> lock(mutex_);
  ++generation_;
  entries_.clear();
  recency_.clear();
  bytes_ = 0;
}

size_t ReadCache::entries() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return entries_.size();
}

void ReadCache::erase(std::unordered_map<std::string, Entry>::iterator it) {
  bytes_ -= it->second.response.body.size();
  recency_.erase(it->second.recency);
  entries_.erase(it);
}

std::string read_cache_key(const std::string& path, const std::string& query,
                           const std::string& media_type) {
  return media_type + " " + path + "?" + query;
}

}  // namespace mpli::gateway
