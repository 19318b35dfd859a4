#include "services/discovery/manifest_fetcher.h"

namespace mpli::discovery {

ManifestFetcher::ManifestFetcher(const FetchPolicy& policy, service::StopToken stop)
    : fetcher_(policy.guards, std::move(stop), "mpli-discovery/0.1 (+https://w3id.org/mpli)") {}

Result<FetchResponse> ManifestFetcher::fetch(const FetchRequest& request) const {
  fetch::FetchRequest guarded;
  guarded.url = request.url;
  guarded.etag = request.etag;
  guarded.last_modified = request.last_modified;
  guarded.accept = "text/turtle, application/n-triples;q=0.9, */*;q=0.1";
  auto fetched = fetcher_.fetch(guarded);
  if (!fetched) return manifest_fetch_error(fetched.status(), request.url);
  return fetched;
}

}  // namespace mpli::discovery
