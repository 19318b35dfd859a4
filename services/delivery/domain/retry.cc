#include "services/delivery/domain/retry.h"

#include <algorithm>

namespace mpli::delivery {

std::chrono::milliseconds backoff(const RetryPolicy& policy, int failed_attempt, double jitter) {
  const int doublings = std::clamp(failed_attempt - 1, 0, 30);
  const double step = std::min(
      static_cast<double>(policy.backoff_base.count()) * static_cast<double>(1LL << doublings),
      static_cast<double>(policy.backoff_max.count()));
  const double spread = std::clamp(jitter, 0.0, 1.0);
  return std::chrono::milliseconds(static_cast<long long>(step / 2 + spread * step / 2));
}

}  // namespace mpli::delivery
