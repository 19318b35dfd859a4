// One handler per mpli.discovery.v1.<operation> subject: decode, call the catalogue, encode.
#pragma once

#include "libs/service/runtime.h"
#include "services/discovery/catalogue_service.h"

namespace mpli::discovery {

Status serve_discovery_subjects(service::ServiceContext& context, CatalogueService& catalogue);

}  // namespace mpli::discovery
