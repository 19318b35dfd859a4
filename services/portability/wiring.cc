#include "services/portability/wiring.h"

namespace mpli::portability {

// Compiled in from services/portability/migrations by mpli_embed_sql.
const std::vector<db::Migration>& migrations();

// Handlers join here as the portability issue lands; until then the service answers health only.
service::ServiceDefinition definition() {
  return service::schema_only_service("portability", migrations());
}

}  // namespace mpli::portability
