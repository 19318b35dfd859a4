#include "services/discovery/handlers/bus_handlers.h"

#include "libs/rdf/parser.h"
#include "libs/rdf/serializer.h"
#include "services/discovery/domain/errors.h"

namespace mpli::discovery {
namespace {

using service::CallContext;

Result<v1::RegisterProviderReply> ingest_reply(Result<IngestResult> result) {
  MPLI_ASSIGN_OR_RETURN(IngestResult ingested, std::move(result));
  v1::RegisterProviderReply reply;
  *reply.mutable_provider() = std::move(ingested.provider);
  reply.set_created(ingested.created);
  fill_violations(ingested.warnings, reply.mutable_warnings());
  return reply;
}

Result<v1::GetOfferingReply> offering_reply(CatalogueService& catalogue,
                                            const v1::GetOfferingRequest& request) {
  MPLI_ASSIGN_OR_RETURN(auto found, catalogue.get_offering(request.id()));
  v1::GetOfferingReply reply;
  *reply.mutable_offering() = found.first;
  if (request.format() == "turtle") {
    rdf::Graph graph;
    MPLI_RETURN_IF_ERROR(
        rdf::parse_string(found.second, "offering", graph, {rdf::Syntax::kNTriples, "", true}));
    graph.set_prefix("mpli", "https://w3id.org/mpli#");
    graph.set_prefix("schema", "https://schema.org/");
    graph.set_prefix("gx", "https://w3id.org/gaia-x/development#");
    graph.set_prefix("xsd", "http://www.w3.org/2001/XMLSchema#");
    reply.set_turtle(rdf::to_turtle(graph));
  }
  return reply;
}

}  // namespace

Status serve_discovery_subjects(service::ServiceContext& context, CatalogueService& catalogue) {
  MPLI_RETURN_IF_ERROR((context.serve<v1::RegisterProviderRequest, v1::RegisterProviderReply>(
      "register_provider",
      [&catalogue](const v1::RegisterProviderRequest& request,
                   const CallContext&) -> Result<v1::RegisterProviderReply> {
        switch (request.source_case()) {
          case v1::RegisterProviderRequest::kManifestUrl:
            return ingest_reply(
                catalogue.register_url(request.manifest_url(), request.expected_provider_id()));
          case v1::RegisterProviderRequest::kManifestTurtle:
            return ingest_reply(catalogue.register_upload(request.manifest_turtle(),
                                                          request.expected_provider_id()));
          default:
            return discovery_error(StatusCode::kInvalidArgument, v1::MANIFEST_MISSING,
                                   "manifest_url: give manifest_url or a Turtle manifest",
                                   {{"field", "manifest_url"}});
        }
      })));

  MPLI_RETURN_IF_ERROR((context.serve<v1::ProviderRef, v1::RefreshProviderReply>(
      "refresh_provider",
      [&catalogue](const v1::ProviderRef& request,
                   const CallContext&) -> Result<v1::RefreshProviderReply> {
        MPLI_ASSIGN_OR_RETURN(IngestResult result, catalogue.refresh(request.id()));
        v1::RefreshProviderReply reply;
        *reply.mutable_provider() = std::move(result.provider);
        reply.set_outcome(result.outcome);
        return reply;
      })));

  MPLI_RETURN_IF_ERROR((context.serve<v1::ProviderRef, v1::GetProviderReply>(
      "get_provider",
      [&catalogue](const v1::ProviderRef& request,
                   const CallContext&) -> Result<v1::GetProviderReply> {
        MPLI_ASSIGN_OR_RETURN(v1::Provider provider, catalogue.get_provider(request.id()));
        v1::GetProviderReply reply;
        *reply.mutable_provider() = std::move(provider);
        return reply;
      })));

  MPLI_RETURN_IF_ERROR((context.serve<v1::ProviderRef, v1::DeleteProviderReply>(
      "delete_provider",
      [&catalogue](const v1::ProviderRef& request,
                   const CallContext&) -> Result<v1::DeleteProviderReply> {
        // Not MPLI_RETURN_IF_ERROR: nested in the one around serve(), its variable shadows.
        Status deleted = catalogue.delete_provider(request.id());
        if (!deleted.is_ok()) return deleted;
        return v1::DeleteProviderReply();
      })));

  MPLI_RETURN_IF_ERROR((context.serve<v1::ListProvidersRequest, v1::ListProvidersReply>(
      "list_providers", [&catalogue](const v1::ListProvidersRequest& request, const CallContext&) {
        return catalogue.list_providers(request, false);
      })));

  MPLI_RETURN_IF_ERROR((context.serve<v1::OfferingFilter, v1::ListOfferingsReply>(
      "list_offerings", [&catalogue](const v1::OfferingFilter& filter, const CallContext&) {
        return catalogue.list_offerings(filter);
      })));

  MPLI_RETURN_IF_ERROR((context.serve<v1::GetOfferingRequest, v1::GetOfferingReply>(
      "get_offering", [&catalogue](const v1::GetOfferingRequest& request, const CallContext&) {
        return offering_reply(catalogue, request);
      })));

  MPLI_RETURN_IF_ERROR((context.serve<v1::ExportCatalogRequest, v1::ExportCatalogReply>(
      "export_catalog", [&catalogue](const v1::ExportCatalogRequest& request, const CallContext&) {
        return catalogue.export_page(request);
      })));

  MPLI_RETURN_IF_ERROR((context.serve<v1::RegisterKindRequest, v1::RegisterKindReply>(
      "register_kind",
      [&catalogue](const v1::RegisterKindRequest& request,
                   const CallContext&) -> Result<v1::RegisterKindReply> {
        MPLI_ASSIGN_OR_RETURN(KindRegistrationResult result,
                              catalogue.register_kind(request.turtle(), request.registered_by()));
        v1::RegisterKindReply reply;
        *reply.mutable_kind() = std::move(result.kind);
        reply.set_outcome(std::string(registration_name(result.outcome)));
        reply.set_reclassified(result.reclassified);
        return reply;
      })));

  MPLI_RETURN_IF_ERROR((context.serve<v1::ListKindsRequest, v1::ListKindsReply>(
      "list_kinds", [&catalogue](const v1::ListKindsRequest&, const CallContext&) {
        return catalogue.list_kinds();
      })));

  MPLI_RETURN_IF_ERROR((context.serve<v1::GetKindRequest, v1::GetKindReply>(
      "get_kind",
      [&catalogue](const v1::GetKindRequest& request,
                   const CallContext&) -> Result<v1::GetKindReply> {
        MPLI_ASSIGN_OR_RETURN(v1::ServiceKind kind, catalogue.get_kind(request.name()));
        v1::GetKindReply reply;
        *reply.mutable_kind() = std::move(kind);
        return reply;
      })));

  return context.serve<v1::ListProvidersRequest, v1::ListProvidersReply>(
      "well_known_providers",
      [&catalogue](const v1::ListProvidersRequest& request, const CallContext&) {
        return catalogue.list_providers(request, true);
      });
}

}  // namespace mpli::discovery
