#include "services/resolver/wiring.h"

namespace mpli::resolver {

// Compiled in from services/resolver/migrations by mpli_embed_sql.
const std::vector<db::Migration>& migrations();

// Handlers join here as the resolver issue lands; until then the service answers health only.
service::ServiceDefinition definition() {
  return service::schema_only_service("resolver", migrations());
}

}  // namespace mpli::resolver
