// Consumer manifests read lately, by their text. A consumer resolving again, delivery
// re-checking an answer before an order, the console running a manifest once more: the same
// text comes back, and reading it (the Turtle, the consumer shape's validation, the shapes
// program) cost about a twentieth of a resolve at 100,000 offerings. A manifest read into one
// term table is no use with another (the index was rebuilt): such entries are never returned.
// Not thread-safe: the service uses it under its lock, as the index.
#pragma once

#include <cstddef>
#include <deque>
#include <memory>
#include <string>

#include "services/resolver/domain/consumer_manifest.h"

namespace mpli::resolver {

class ManifestCache {
 public:
  explicit ManifestCache(size_t capacity = 16) : capacity_(capacity) {}

  // The manifest read from `text` into `terms`, or nullptr; a hit becomes the most recent.
  std::shared_ptr<const ConsumerManifest> find(const std::string& text,
                                               const rdf::TermTablePtr& terms);
  // Keeps `manifest` (read from `text`), dropping the least recent beyond the capacity.
  void put(const std::string& text, std::shared_ptr<const ConsumerManifest> manifest);
  // Forgets every manifest (the index's term table was replaced).
  void clear() { entries_.clear(); }
  size_t size() const { return entries_.size(); }

 private:
  struct Entry {
    std::string text;
    std::shared_ptr<const ConsumerManifest> manifest;
  };
  size_t capacity_;
  std::deque<Entry> entries_;  // most recent first; a few, so scanned
};

}  // namespace mpli::resolver
