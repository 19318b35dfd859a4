#include "services/resolver/wiring.h"

namespace mpli::resolver {

// Compiled in from services/resolver/migrations by mpli_embed_sql.
const std::vector<db::Migration>& migrations();

service::ServiceDefinition definition() {
  service::ServiceDefinition definition;
  definition.name = "resolver";
  definition.schema = "resolver";
  definition.migrations = &migrations();
  // Handlers join here as the resolver issue lands; until then the service answers health only.
  return definition;
}

}  // namespace mpli::resolver
