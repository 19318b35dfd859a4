// The portability subjects (mpli.portability.v1.*) served through the service kit.
#pragma once

#include "libs/service/runtime.h"
#include "services/portability/migration_service.h"

namespace mpli::portability {

Status serve_migration_subjects(service::ServiceContext& context, MigrationService& migrations);

}  // namespace mpli::portability
