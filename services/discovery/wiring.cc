#include "services/discovery/wiring.h"

namespace mpli::discovery {

// Compiled in from services/discovery/migrations by mpli_embed_sql.
const std::vector<db::Migration>& migrations();

service::ServiceDefinition definition() {
  service::ServiceDefinition definition;
  definition.name = "discovery";
  definition.schema = "discovery";
  definition.migrations = &migrations();
  // Handlers join here as the discovery issue lands; until then the service answers health only.
  return definition;
}

}  // namespace mpli::discovery
