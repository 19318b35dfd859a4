#include "tools/mpli/restart_policy.h"

#include <algorithm>

namespace mpli::cli {

RestartPolicy::RestartPolicy(RestartSettings settings) : settings_(settings) {}

void RestartPolicy::started(TimePoint now) { started_at_ = now; }

bool RestartPolicy::healthy(TimePoint now) const {
  return started_at_.has_value() && now - *started_at_ >= settings_.healthy_after;
}

RestartDecision RestartPolicy::exited(TimePoint now) {
  // Only crashes in quick succession count against the budget: a service that served for a
  // while and then met one bad request is restarted as if it had never failed before.
  if (healthy(now)) restarts_in_a_row_ = 0;
  started_at_.reset();

  RestartDecision decision;
  if (restarts_in_a_row_ >= settings_.budget) {
    decision.action = RestartDecision::Action::kGiveUp;
    decision.attempt = restarts_in_a_row_;
    return decision;
  }
  ++restarts_in_a_row_;
  decision.attempt = restarts_in_a_row_;
  if (restarts_in_a_row_ == 1) {
    decision.action = RestartDecision::Action::kRestartNow;
    return decision;
  }
  // first_delay * 2^(attempt - 2), computed by doubling so a large budget cannot overflow.
  auto delay = settings_.first_delay;
  for (int i = 2; i < restarts_in_a_row_ && delay < settings_.max_delay; ++i) delay *= 2;
  decision.delay = std::min(delay, settings_.max_delay);
  decision.action = decision.delay.count() > 0 ? RestartDecision::Action::kRestartAfterDelay
                                               : RestartDecision::Action::kRestartNow;
  return decision;
}

}  // namespace mpli::cli
