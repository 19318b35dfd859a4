// Why a guarded fetch was refused or failed, as a value callers switch on: each FetchError has
// one StatusCode, and the Status carries its name in details["fetch_error"].
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "libs/core/status.h"

namespace mpli::fetch {

enum class FetchError {
  kBadUrl,          // malformed: no host, credentials, spaces, too long (kInvalidArgument)
  kSchemeRefused,   // not https:// (or http:// the policy does not allow) (kInvalidArgument)
  kAddressRefused,  // the host resolves to a range the policy refuses (kPermissionDenied)
  kTooLarge,        // the body exceeds the byte limit (kTooLarge)
  kTimeout,         // not fetched within the time limit (kDeadlineExceeded)
  kFailed,          // network error, too many redirects, an HTTP status other than 200/304
                    // (kUnavailable)
  kShuttingDown,    // abandoned because the stop token fired (kUnavailable)
};

// The key of the details entry that names the FetchError.
inline constexpr const char* kFetchErrorKey = "fetch_error";

// "bad_url", "scheme_refused", "address_refused", "too_large", "timeout", "failed",
// "shutting_down".
std::string_view fetch_error_name(FetchError error);
std::optional<FetchError> fetch_error_from_name(std::string_view name);
StatusCode fetch_error_code(FetchError error);

// A Status with fetch_error_code(error) and details[kFetchErrorKey] = fetch_error_name(error)
// besides `details`.
Status fetch_error(FetchError error, std::string message,
                   std::map<std::string, std::string> details = {});

// The FetchError a Status carries; nullopt when it carries none (ok, or not from this library).
std::optional<FetchError> fetch_error_of(const Status& status);

}  // namespace mpli::fetch
