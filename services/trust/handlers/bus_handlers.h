// The trust service's request/reply subjects (mpli.trust.v1.<operation>), one handler each:
// decode (done by the kit), check the fields, call TrustService, encode.
#pragma once

#include <functional>

#include "libs/service/runtime.h"
#include "services/trust/trust_service.h"

namespace mpli::trust {

// Parses root certificates and fills in their fingerprints, or kInvalidArgument (BAD_ANCHORS)
// naming the anchor whose certificate does not parse.
using AnchorPreparer = std::function<Result<AnchorSet>(AnchorSet)>;

Status serve_trust_subjects(service::ServiceContext& context, TrustService& trust,
                            const AnchorPreparer& prepare_anchors);

// Unix seconds now: the one clock the handlers read.
int64_t unix_now();

}  // namespace mpli::trust
