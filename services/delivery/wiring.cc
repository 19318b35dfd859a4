#include "services/delivery/wiring.h"

namespace mpli::delivery {

// Compiled in from services/delivery/migrations by mpli_embed_sql.
const std::vector<db::Migration>& migrations();

// Handlers join here as the delivery issue lands; until then the service answers health only.
service::ServiceDefinition definition() {
  return service::schema_only_service("delivery", migrations());
}

}  // namespace mpli::delivery
