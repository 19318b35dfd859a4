#include "services/resolver/domain/manifest_cache.h"

#include <utility>

namespace mpli::resolver {

std::shared_ptr<const ConsumerManifest> ManifestCache::find(const std::string& text,
                                                            const rdf::TermTablePtr& terms) {
  for (auto it = entries_.begin(); it != entries_.end(); ++it) {
    if (it->text.size() != text.size() || it->text != text) continue;
    if (it->manifest->graph.terms_ptr() != terms) {
      entries_.erase(it);  // read into a table the index no longer uses
      return nullptr;
    }
    Entry hit = std::move(*it);
    entries_.erase(it);
    entries_.push_front(std::move(hit));
    return entries_.front().manifest;
  }
  return nullptr;
}

void ManifestCache::put(const std::string& text, std::shared_ptr<const ConsumerManifest> manifest) {
  if (capacity_ == 0) return;
  for (auto it = entries_.begin(); it != entries_.end(); ++it) {
    if (it->text == text) {
      entries_.erase(it);
      break;
    }
  }
  entries_.push_front({text, std::move(manifest)});
  while (entries_.size() > capacity_) entries_.pop_back();
}

}  // namespace mpli::resolver
