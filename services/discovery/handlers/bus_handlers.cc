#include "services/discovery/handlers/bus_handlers.h"

#include "libs/rdf/parser.h"
#include "libs/rdf/serializer.h"

namespace mpli::discovery {
namespace {

template <typename Request>
Result<Request> decode(const bus::Message& message) {
  Request request;
  if (!request.ParseFromString(message.data)) {
    return invalid_argument("malformed " + request.GetTypeName());
  }
  return request;
}

Result<std::string> encode(const google::protobuf::Message& reply) {
  return reply.SerializeAsString();
}

Result<std::string> ingest_reply(const Result<IngestResult>& result) {
  if (!result) return result.status();
  v1::RegisterProviderReply reply;
  *reply.mutable_provider() = result->provider;
  reply.set_created(result->created);
  return encode(reply);
}

Result<std::string> register_provider(CatalogueService& catalogue, const bus::Message& m) {
  auto request = decode<v1::RegisterProviderRequest>(m);
  if (!request) return request.status();
  switch (request->source_case()) {
    case v1::RegisterProviderRequest::kManifestUrl:
      return ingest_reply(catalogue.register_url(request->manifest_url()));
    case v1::RegisterProviderRequest::kManifestTurtle:
      return ingest_reply(catalogue.register_upload(request->manifest_turtle()));
    default:
      return Status(StatusCode::kInvalidArgument, "give manifest_url or a Turtle manifest",
                    {{"field", "manifest_url"}});
  }
}

Result<std::string> refresh_provider(CatalogueService& catalogue, const bus::Message& m) {
  auto request = decode<v1::ProviderRef>(m);
  if (!request) return request.status();
  auto result = catalogue.refresh(request->id());
  if (!result) return result.status();
  v1::RefreshProviderReply reply;
  *reply.mutable_provider() = result->provider;
  reply.set_outcome(result->outcome);
  return encode(reply);
}

Result<std::string> get_provider(CatalogueService& catalogue, const bus::Message& m) {
  auto request = decode<v1::ProviderRef>(m);
  if (!request) return request.status();
  auto provider = catalogue.store().get_provider(request->id());
  if (!provider) return provider.status();
  if (!provider->has_value()) return not_found("no provider '" + request->id() + "'");
  v1::GetProviderReply reply;
  *reply.mutable_provider() = **provider;
  return encode(reply);
}

Result<std::string> delete_provider(CatalogueService& catalogue, const bus::Message& m) {
  auto request = decode<v1::ProviderRef>(m);
  if (!request) return request.status();
  auto deleted = catalogue.store().delete_provider(request->id());
  if (!deleted) return deleted.status();
  if (!*deleted) return not_found("no provider '" + request->id() + "'");
  return encode(v1::DeleteProviderReply());
}

Result<std::string> list_providers(CatalogueService& catalogue, const bus::Message&) {
  auto providers = catalogue.store().list_providers();
  if (!providers) return providers.status();
  v1::ListProvidersReply reply;
  for (auto& p : *providers) *reply.add_providers() = std::move(p);
  return encode(reply);
}

Result<std::string> list_offerings(CatalogueService& catalogue, const bus::Message& m) {
  auto filter = decode<v1::OfferingFilter>(m);
  if (!filter) return filter.status();
  if (filter->limit() < 0 || filter->limit() > 500) {
    return Status(StatusCode::kInvalidArgument, "limit: must be from 1 to 500", {{"field", "limit"}});
  }
  auto reply = catalogue.store().list_offerings(*filter);
  if (!reply) return reply.status();
  return encode(*reply);
}

Result<std::string> get_offering(CatalogueService& catalogue, const bus::Message& m) {
  auto request = decode<v1::GetOfferingRequest>(m);
  if (!request) return request.status();
  auto found = catalogue.store().get_offering(request->id());
  if (!found) return found.status();
  if (!found->has_value()) return not_found("no offering '" + request->id() + "'");
  v1::GetOfferingReply reply;
  *reply.mutable_offering() = (*found)->first;
  if (request->format() == "turtle") {
    rdf::Graph graph;
    MPLI_RETURN_IF_ERROR(rdf::parse_string((*found)->second, "offering", graph,
                                           {rdf::Syntax::kNTriples, "", true}));
    graph.set_prefix("mpli", "https://w3id.org/mpli#");
    graph.set_prefix("schema", "https://schema.org/");
    graph.set_prefix("gx", "https://w3id.org/gaia-x/development#");
    graph.set_prefix("xsd", "http://www.w3.org/2001/XMLSchema#");
    reply.set_turtle(rdf::to_turtle(graph));
  }
  return encode(reply);
}

Result<std::string> export_catalog(CatalogueService& catalogue, const bus::Message& m) {
  auto request = decode<v1::ExportCatalogRequest>(m);
  if (!request) return request.status();
  auto page = catalogue.store().export_page(request->cursor(), 200);
  if (!page) return page.status();
  v1::ExportCatalogReply reply;
  reply.set_document(page->first);  // N-Triples is also valid Turtle
  reply.set_next_cursor(page->second);
  return encode(reply);
}

Result<std::string> well_known(CatalogueService& catalogue, const bus::Message&) {
  auto providers = catalogue.store().list_providers();
  if (!providers) return providers.status();
  v1::ListProvidersReply reply;
  for (auto& p : *providers) {
    if (p.status() == "active") *reply.add_providers() = std::move(p);
  }
  return encode(reply);
}

}  // namespace

Status serve_discovery_subjects(service::ServiceContext& context, CatalogueService& catalogue,
                                int concurrency) {
  using Operation = Result<std::string> (*)(CatalogueService&, const bus::Message&);
  const std::vector<std::pair<const char*, Operation>> operations = {
      {"register_provider", register_provider}, {"refresh_provider", refresh_provider},
      {"get_provider", get_provider},           {"delete_provider", delete_provider},
      {"list_providers", list_providers},       {"list_offerings", list_offerings},
      {"get_offering", get_offering},           {"export_catalog", export_catalog},
      {"well_known_providers", well_known},
  };
  for (const auto& [name, operation] : operations) {
    auto subscriptions = context.bus.serve_concurrently(
        service::request_subject("discovery", name), "discovery",
        [&catalogue, op = operation](const bus::Message& m) { return op(catalogue, m); },
        concurrency);
    if (!subscriptions) return subscriptions.status();
    for (auto& s : *subscriptions) context.subscriptions.push_back(std::move(s));
  }
  return Status::ok();
}

}  // namespace mpli::discovery
