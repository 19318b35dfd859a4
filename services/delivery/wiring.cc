#include "services/delivery/wiring.h"

namespace mpli::delivery {

// Compiled in from services/delivery/migrations by mpli_embed_sql.
const std::vector<db::Migration>& migrations();

service::ServiceDefinition definition() {
  service::ServiceDefinition definition;
  definition.name = "delivery";
  definition.schema = "delivery";
  definition.migrations = &migrations();
  // Handlers join here as the delivery issue lands; until then the service answers health only.
  return definition;
}

}  // namespace mpli::delivery
