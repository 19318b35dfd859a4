#include "services/portability/wiring.h"

namespace mpli::portability {

// Compiled in from services/portability/migrations by mpli_embed_sql.
const std::vector<db::Migration>& migrations();

service::ServiceDefinition definition() {
  service::ServiceDefinition definition;
  definition.name = "portability";
  definition.schema = "portability";
  definition.migrations = &migrations();
  // Handlers join here as the portability issue lands; until then the service answers health only.
  return definition;
}

}  // namespace mpli::portability
