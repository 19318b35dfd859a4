#include "services/discovery/domain/fetch_policy.h"

#include <algorithm>
#include <cmath>
#include <cstdint>

#include "libs/fetch/fetch_error.h"
#include "services/discovery/domain/errors.h"

namespace mpli::discovery {

Status check_manifest_url(const std::string& url, const FetchPolicy& policy) {
  Status checked = fetch::check_url(url, policy.guards);
  if (checked.is_ok()) return checked;
  return manifest_fetch_error(checked, url);
}

Status manifest_fetch_error(const Status& failed, const std::string& url) {
  auto error = fetch::fetch_error_of(failed);
  if (!error) return failed;
  const std::map<std::string, std::string> field = {{"field", "manifest_url"}};
  switch (*error) {
    case fetch::FetchError::kBadUrl:
      return discovery_error(failed.code(), v1::BAD_MANIFEST_URL,
                             "manifest_url: " + failed.detail("problem"), field);
    case fetch::FetchError::kSchemeRefused:
      if (failed.detail("problem").empty()) {  // a redirect, not the URL given
        return discovery_error(failed.code(), v1::SCHEME_REFUSED,
                               "redirect from " + url + " to a protocol this hub does not fetch",
                               field);
      }
      if (url.rfind("http://", 0) == 0) {  // name the setting that would allow it
        return discovery_error(failed.code(), v1::SCHEME_REFUSED,
                               "manifest_url: must use https://; this hub fetches plain http:// "
                               "manifests only when the setting fetch.allow_http is true "
                               "(MPLI_FETCH_ALLOW_HTTP)",
                               field);
      }
      return discovery_error(failed.code(), v1::SCHEME_REFUSED,
                             "manifest_url: " + failed.detail("problem"), field);
    case fetch::FetchError::kAddressRefused: {
      const std::string address = failed.detail("address");
      if (address.empty()) {
        return discovery_error(failed.code(), v1::ADDRESS_REFUSED, failed.message(), field);
      }
      const std::string range = failed.detail("range");
      return discovery_error(failed.code(), v1::ADDRESS_REFUSED,
                             "manifest host resolves to " + address + ", a " + range +
                                 " address; this hub does not fetch from such addresses",
                             {{"field", "manifest_url"}, {"address", address}, {"range", range}});
    }
    case fetch::FetchError::kTooLarge:
      return discovery_error(failed.code(), v1::MANIFEST_TOO_LARGE,
                             "manifest at " + url + " is larger than " +
                                 failed.detail("max_bytes") + " bytes (manifest.max_bytes)",
                             field);
    case fetch::FetchError::kTimeout:
      return discovery_error(
          failed.code(), v1::FETCH_TIMEOUT,
          "manifest at " + url + " was not fetched within " + failed.detail("timeout_ms") + " ms",
          field);
    case fetch::FetchError::kFailed:
      return discovery_error(failed.code(), v1::FETCH_FAILED, failed.message(), field);
    case fetch::FetchError::kShuttingDown:
      return discovery_error(failed.code(), v1::SHUTTING_DOWN, failed.message())
          .with_retry_after(failed.retry_after());
  }
  return failed;
}

std::chrono::milliseconds next_refresh_delay(const FetchPolicy& policy, int consecutive_failures,
                                             double unit_random) {
  double base = static_cast<double>(policy.refresh_interval.count());
  if (consecutive_failures > 0) {
    base = std::min(base * std::pow(2.0, std::min(consecutive_failures, 30)),
                    static_cast<double>(policy.max_backoff.count()));
  }
  double spread = base * policy.jitter * (2.0 * unit_random - 1.0);
  return std::chrono::milliseconds(static_cast<int64_t>(std::max(1000.0, base + spread)));
}

}  // namespace mpli::discovery
