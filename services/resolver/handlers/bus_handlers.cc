#include "services/resolver/handlers/bus_handlers.h"

namespace mpli::resolver {

namespace {

using service::CallContext;

Status missing(const std::string& field, const std::string& what) {
  return resolver_error(StatusCode::kInvalidArgument, "BAD_REQUEST", field + ": " + what,
                        {{"field", field}});
}

}  // namespace

Status serve_resolver_subjects(service::ServiceContext& context, ResolverService& resolver) {
  MPLI_RETURN_IF_ERROR((context.serve<v1::ResolveRequest, v1::ResolveReply>(
      "resolve",
      [&resolver](const v1::ResolveRequest& request,
                  const CallContext&) -> Result<v1::ResolveReply> {
        if (request.manifest().empty()) return missing("manifest", "required: Turtle text");
        MPLI_ASSIGN_OR_RETURN(auto resolution, resolver.resolve(request));
        v1::ResolveReply reply;
        *reply.mutable_resolution() = std::move(resolution);
        return reply;
      })));

  MPLI_RETURN_IF_ERROR((context.serve<v1::GetResolutionRequest, v1::GetResolutionReply>(
      "get_resolution",
      [&resolver](const v1::GetResolutionRequest& request,
                  const CallContext&) -> Result<v1::GetResolutionReply> {
        if (request.id().empty()) return missing("id", "required");
        MPLI_RETURN_IF_ERROR(check_tenant(request.tenant()));
        MPLI_ASSIGN_OR_RETURN(auto resolution, resolver.get(request.id(), request.tenant()));
        v1::GetResolutionReply reply;
        *reply.mutable_resolution() = std::move(resolution);
        return reply;
      })));

  MPLI_RETURN_IF_ERROR((context.serve<v1::RecheckAnswerRequest, v1::RecheckAnswerReply>(
      "recheck_answer",
      [&resolver](const v1::RecheckAnswerRequest& request,
                  const CallContext&) -> Result<v1::RecheckAnswerReply> {
        if (request.resolution_id().empty()) return missing("resolution_id", "required");
        if (request.rank() < 1) return missing("rank", "a rank from 1");
        MPLI_RETURN_IF_ERROR(check_tenant(request.tenant()));
        return resolver.recheck(request.resolution_id(), request.rank(), request.tenant());
      })));

  return context.serve<v1::CheckOfferingRequest, v1::CheckOfferingReply>(
      "check_offering",
      [&resolver](const v1::CheckOfferingRequest& request,
                  const CallContext&) -> Result<v1::CheckOfferingReply> {
        if (request.resolution_id().empty()) return missing("resolution_id", "required");
        if (request.requirement().empty()) {
          return missing("requirement", "required: the IRI of a requirement of the resolution");
        }
        if (request.offering_id().empty()) {
          return missing("offering_id", "required: the IRI of an offering");
        }
        MPLI_RETURN_IF_ERROR(check_tenant(request.tenant()));
        return resolver.check_offering(request.resolution_id(), request.requirement(),
                                       request.offering_id(), request.tenant());
      });
}

}  // namespace mpli::resolver
