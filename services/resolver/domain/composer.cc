#include "services/resolver/domain/composer.h"

namespace mpli::resolver {

double distance_value(double distance_km) {
  return distance_km < 0 ? 0.0 : 1.0 / (1.0 + distance_km / 500.0);
}

CompositionResult compose(const CompositionRequest& request) {
  (void)request;
  return {};  // implemented in the composer change
}

}  // namespace mpli::resolver
