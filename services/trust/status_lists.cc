#include "services/trust/status_lists.h"

#include <algorithm>

#include "libs/credentials/credential_verifier.h"
#include "libs/credentials/refusal.h"

namespace mpli::trust {
namespace {

using credentials::Refusal;
using credentials::refusal;

constexpr size_t kMaxCachedLists = 256;

Status unavailable(const std::string& url, const Status& why) {
  return refusal(Refusal::kStatusUnavailable, "status list " + url + ": " + why.message());
}

}  // namespace

Result<StatusLists::CachedList> StatusLists::load(const std::string& url, int64_t now) {
  fetch::FetchRequest request;
  request.url = url;
  request.accept = "application/vc+jwt, application/jwt";
  auto response = fetcher_.fetch(request);
  if (!response.is_ok()) return unavailable(url, response.status());
  if (response->http_status != 200) {
    return refusal(Refusal::kStatusUnavailable,
                   "status list " + url + ": HTTP " + std::to_string(response->http_status));
  }
  std::string token = response->body;
  while (!token.empty() && std::isspace(static_cast<unsigned char>(token.back()))) token.pop_back();
  credentials::VerifyOptions options;
  options.now = now;
  options.clock_skew = clock_skew_seconds_;
  credentials::CredentialVerifier verifier(keys_, options);
  auto verified = verifier.verify_credential(token);
  if (!verified.is_ok()) return unavailable(url, verified.status());
  auto info = credentials::read_status_list_credential(verified->credential);
  if (!info.is_ok()) return unavailable(url, info.status());
  auto list = credentials::decode_status_list(info->encoded_list, max_list_bytes_);
  if (!list.is_ok()) return unavailable(url, list.status());
  int64_t expires = now + ttl_.count();
  if (verified->valid_until) expires = std::min(expires, *verified->valid_until);
  return CachedList{std::move(*list), info->purposes, verified->issuer, expires};
}

Result<bool> StatusLists::is_set(const credentials::StatusReference& reference,
                                 const std::string& issuer, int64_t now) {
  const std::string& url = reference.list_credential;
  std::optional<CachedList> entry;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = cache_.find(url);
    if (it != cache_.end() && it->second.expires > now) entry = it->second;
  }
  if (!entry) {
    MPLI_ASSIGN_OR_RETURN(CachedList loaded, load(url, now));
    std::lock_guard<std::mutex> lock(mutex_);
    if (cache_.size() >= kMaxCachedLists) cache_.clear();
    cache_.insert_or_assign(url, loaded);
    entry = std::move(loaded);
  }
  // A list signed by someone else could revoke (or un-revoke) another issuer's credentials.
  if (entry->issuer != issuer) {
    return refusal(Refusal::kStatusUnavailable, "status list " + url + " is issued by '" +
                                                    entry->issuer + "', not by '" + issuer +
                                                    "' whose credential points to it");
  }
  if (std::find(entry->purposes.begin(), entry->purposes.end(), reference.purpose) ==
      entry->purposes.end()) {
    return refusal(Refusal::kStatusUnavailable,
                   "status list " + url + " is not for purpose '" + reference.purpose + "'");
  }
  MPLI_ASSIGN_OR_RETURN(uint32_t value, entry->list.bit(reference.index, reference.size));
  return value != 0;
}

}  // namespace mpli::trust
