#include "services/trust/wiring.h"

namespace mpli::trust {

// Compiled in from services/trust/migrations by mpli_embed_sql.
const std::vector<db::Migration>& migrations();

// Handlers join here as the trust issue lands; until then the service answers health only.
service::ServiceDefinition definition() {
  return service::schema_only_service("trust", migrations());
}

}  // namespace mpli::trust
