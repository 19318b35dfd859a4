#include "services/resolver/federation.h"

#include "libs/bus/call.h"
#include "mpli/discovery/v1/discovery.pb.h"
#include "mpli/trust/v1/trust.pb.h"

namespace mpli::resolver {

namespace {

Fact fact_from(const trust::v1::Fact& f) {
  return Fact{f.subject(),  f.predicate(),  f.object(), f.object_is_literal(),
              f.datatype(), f.credential(), f.issuer()};
}

}  // namespace

Result<std::vector<std::string>> BusFederation::provider_ids() {
  std::vector<std::string> ids;
  discovery::v1::ListProvidersRequest request;
  request.set_limit(500);
  do {
    MPLI_ASSIGN_OR_RETURN(auto page,
                          bus::call<discovery::v1::ListProvidersReply>(
                              bus_, "mpli.discovery.v1.list_providers", request, timeout_));
    for (const auto& provider : page.providers()) ids.push_back(provider.id());
    request.set_cursor(page.next_cursor());
  } while (!request.cursor().empty());
  return ids;
}

Result<std::string> BusFederation::provider_manifest(const std::string& provider_id) {
  std::string document;
  discovery::v1::ExportCatalogRequest request;
  request.set_format("ntriples");
  request.set_provider_id(provider_id);
  do {
    MPLI_ASSIGN_OR_RETURN(auto page,
                          bus::call<discovery::v1::ExportCatalogReply>(
                              bus_, "mpli.discovery.v1.export_catalog", request, timeout_));
    document += page.document();
    request.set_cursor(page.next_cursor());
  } while (!request.cursor().empty());
  return document;
}

Status BusFederation::all_facts(const std::function<void(std::vector<Fact>)>& sink) {
  trust::v1::ExportFactsRequest request;
  request.set_limit(5000);
  do {
    MPLI_ASSIGN_OR_RETURN(auto page, bus::call<trust::v1::ExportFactsReply>(
                                         bus_, "mpli.trust.v1.export_facts", request, timeout_));
    std::vector<Fact> facts;
    for (const auto& f : page.facts()) facts.push_back(fact_from(f));
    sink(std::move(facts));
    request.set_cursor(page.next_cursor());
  } while (!request.cursor().empty());
  return Status::ok();
}

Result<std::vector<Fact>> BusFederation::facts_about(const std::string& subject) {
  trust::v1::GetFactsRequest request;
  request.set_subject(subject);
  MPLI_ASSIGN_OR_RETURN(auto reply, bus::call<trust::v1::GetFactsReply>(
                                        bus_, "mpli.trust.v1.get_facts", request, timeout_));
  std::vector<Fact> facts;
  for (const auto& f : reply.facts()) facts.push_back(fact_from(f));
  return facts;
}

Status BusFederation::submit_credential(const v1::InlineCredential& credential,
                                        const std::string& expected_subject) {
  trust::v1::SubmitCredentialRequest request;
  request.set_token(credential.token());
  request.set_media_type(credential.media_type());
  request.set_expected_subject(expected_subject);
  request.set_source("consumer");
  return bus::call<trust::v1::SubmitCredentialReply>(bus_, "mpli.trust.v1.submit_credential",
                                                     request, timeout_)
      .status();
}

}  // namespace mpli::resolver
