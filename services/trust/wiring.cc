#include "services/trust/wiring.h"

namespace mpli::trust {

// Compiled in from services/trust/migrations by mpli_embed_sql.
const std::vector<db::Migration>& migrations();

service::ServiceDefinition definition() {
  service::ServiceDefinition definition;
  definition.name = "trust";
  definition.schema = "trust";
  definition.migrations = &migrations();
  // Handlers join here as the trust issue lands; until then the service answers health only.
  return definition;
}

}  // namespace mpli::trust
