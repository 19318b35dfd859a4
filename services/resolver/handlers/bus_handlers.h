// The resolver's request/reply subjects (mpli.resolver.v1.<operation>), one handler each:
// check the fields, call ResolverService, encode.
#pragma once

#include "libs/service/runtime.h"
#include "services/resolver/resolver_service.h"

namespace mpli::resolver {

Status serve_resolver_subjects(service::ServiceContext& context, ResolverService& resolver);

}  // namespace mpli::resolver
