#include "libs/fetch/fetch_error.h"

#include <array>

namespace mpli::fetch {
namespace {

constexpr std::array<FetchError, 7> kAll = {FetchError::kBadUrl,         FetchError::kSchemeRefused,
                                            FetchError::kAddressRefused, FetchError::kTooLarge,
                                            FetchError::kTimeout,        FetchError::kFailed,
                                            FetchError::kShuttingDown};

}  // namespace

std::string_view fetch_error_name(FetchError error) {
  switch (error) {
    case FetchError::kBadUrl:
      return "bad_url";
    case FetchError::kSchemeRefused:
      return "scheme_refused";
    case FetchError::kAddressRefused:
      return "address_refused";
    case FetchError::kTooLarge:
      return "too_large";
    case FetchError::kTimeout:
      return "timeout";
    case FetchError::kFailed:
      return "failed";
    case FetchError::kShuttingDown:
      return "shutting_down";
  }
  return "failed";
}

std::optional<FetchError> fetch_error_from_name(std::string_view name) {
  for (FetchError error : kAll) {
    if (fetch_error_name(error) == name) return error;
  }
  return std::nullopt;
}

StatusCode fetch_error_code(FetchError error) {
  switch (error) {
    case FetchError::kBadUrl:
    case FetchError::kSchemeRefused:
      return StatusCode::kInvalidArgument;
    case FetchError::kAddressRefused:
      return StatusCode::kPermissionDenied;
    case FetchError::kTooLarge:
      return StatusCode::kTooLarge;
    case FetchError::kTimeout:
      return StatusCode::kDeadlineExceeded;
    case FetchError::kFailed:
    case FetchError::kShuttingDown:
      return StatusCode::kUnavailable;
  }
  return StatusCode::kUnavailable;
}

Status fetch_error(FetchError error, std::string message,
                   std::map<std::string, std::string> details) {
  details[kFetchErrorKey] = std::string(fetch_error_name(error));
  return Status(fetch_error_code(error), std::move(message), std::move(details));
}

std::optional<FetchError> fetch_error_of(const Status& status) {
  if (status.is_ok()) return std::nullopt;
  return fetch_error_from_name(status.detail(kFetchErrorKey));
}

}  // namespace mpli::fetch
