// Catalogue reads kept for a moment: the gateway answers a repeated GET of the same path, query
// and media type from memory instead of asking discovery again. Catalogue reads are public and
// the same for every caller, so one answer serves all. Freshness:
//   - every hub event (a catalogue or fact change anywhere, seen on mpli.events.>) and every
//     registration, refresh or deletion through this gateway empties the cache at once;
//   - an answer is never older than `max_age`, even if events were missed;
//   - an answer fetched while the cache was emptied is not kept (the generation moved on), so a
//     reply computed before a change can never outlive that change's invalidation.
// Pure over a clock given by the caller; thread-safe.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <list>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "services/gateway/http/response.h"

namespace mpli::gateway {

struct ReadCacheLimits {
  std::chrono::milliseconds max_age{1000};
  size_t max_entries = 4096;
  size_t max_bytes = size_t{64} * 1024 * 1024;  // of bodies kept
};

class ReadCache {
 public:
  using Clock = std::chrono::steady_clock;

  explicit ReadCache(ReadCacheLimits limits) : limits_(limits) {}

  // Read before asking the service; hand it back to store().
  uint64_t generation() const;
  // A fresh answer kept under `key`, its ETag header already set.
  std::optional<HttpResponse> find(const std::string& key, Clock::time_point now);
  // Keeps a 200 answer (with its ETag computed once here) unless the cache was emptied since
  // `generation` was read, or the answer alone is over the byte budget. The least recently
  // used answers make room.
  void store(const std::string& key, uint64_t generation, HttpResponse response,
             Clock::time_point now);
  // Forgets everything; answers in flight will not be kept.
  void invalidate();

  size_t entries() const;

 private:
  struct Entry {
    HttpResponse response;
    Clock::time_point stored;
    std::list<std::string>::iterator recency;  // position in recency_
  };
  void erase(std::unordered_map<std::string, Entry>::iterator it);

  const ReadCacheLimits limits_;
  mutable std::mutex mutex_;
  uint64_t generation_ = 0;
  size_t bytes_ = 0;
  std::unordered_map<std::string, Entry> entries_;
  std::list<std::string> recency_;  // most recently used first
};

// The cache key of a read: its path and query as sent, and the media type it is answered in.
std::string read_cache_key(const std::string& path, const std::string& query,
                           const std::string& media_type);

}  // namespace mpli::gateway
