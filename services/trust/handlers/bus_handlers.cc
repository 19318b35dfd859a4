#include "services/trust/handlers/bus_handlers.h"

#include <chrono>

namespace mpli::trust {
namespace {

using service::CallContext;

Status missing(const std::string& field, const std::string& what) {
  return Status(StatusCode::kInvalidArgument, field + ": " + what,
                {{"reason", "MALFORMED"}, {"domain", "trust"}, {"field", field}});
}

// 1..max, `fallback` when zero.
Result<int> limit_of(int32_t requested, int fallback, int max) {
  if (requested == 0) return fallback;
  if (requested < 0 || requested > max) {
    return missing("limit", "must be between 1 and " + std::to_string(max));
  }
  return requested;
}

Result<v1::SubmitCredentialReply> credential_reply(const Result<CredentialRecord>& record) {
  if (!record.is_ok()) return record.status();
  v1::SubmitCredentialReply reply;
  to_proto(record.value(), reply.mutable_credential());
  return reply;
}

}  // namespace

int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

Status serve_trust_subjects(service::ServiceContext& context, TrustService& trust,
                            const AnchorPreparer& prepare_anchors) {
  MPLI_RETURN_IF_ERROR((context.serve<v1::SubmitCredentialRequest, v1::SubmitCredentialReply>(
      "submit_credential",
      [&trust](const v1::SubmitCredentialRequest& request,
               const CallContext&) -> Result<v1::SubmitCredentialReply> {
        if (request.token().empty()) return missing("token", "required: the credential");
        return credential_reply(trust.submit(request, unix_now()));
      })));

  MPLI_RETURN_IF_ERROR((context.serve<v1::SubmitCredentialRequest, v1::SubmitCredentialReply>(
      "verify_credential",
      [&trust](const v1::SubmitCredentialRequest& request,
               const CallContext&) -> Result<v1::SubmitCredentialReply> {
        if (request.token().empty()) return missing("token", "required: the credential");
        return credential_reply(trust.verify(request, unix_now()));
      })));

  MPLI_RETURN_IF_ERROR((context.serve<v1::ListCredentialsRequest, v1::ListCredentialsReply>(
      "list_credentials",
      [&trust](const v1::ListCredentialsRequest& request,
               const CallContext&) -> Result<v1::ListCredentialsReply> {
        if (request.subject().empty()) return missing("subject", "required: an IRI");
        MPLI_ASSIGN_OR_RETURN(int limit, limit_of(request.limit(), 100, 500));
        MPLI_ASSIGN_OR_RETURN(auto records, trust.list(request.subject(), limit));
        v1::ListCredentialsReply reply;
        for (const auto& record : records) to_proto(record, reply.add_credentials());
        return reply;
      })));

  MPLI_RETURN_IF_ERROR((context.serve<v1::GetFactsRequest, v1::GetFactsReply>(
      "get_facts",
      [&trust](const v1::GetFactsRequest& request,
               const CallContext&) -> Result<v1::GetFactsReply> {
        if (request.subject().empty()) return missing("subject", "required: an IRI");
        MPLI_ASSIGN_OR_RETURN(auto facts, trust.facts(request.subject()));
        v1::GetFactsReply reply;
        for (const auto& fact : facts) to_proto(fact, reply.add_facts());
        return reply;
      })));

  MPLI_RETURN_IF_ERROR((context.serve<v1::ExportFactsRequest, v1::ExportFactsReply>(
      "export_facts",
      [&trust](const v1::ExportFactsRequest& request,
               const CallContext&) -> Result<v1::ExportFactsReply> {
        MPLI_ASSIGN_OR_RETURN(int limit, limit_of(request.limit(), 1000, 5000));
        std::string next;
        MPLI_ASSIGN_OR_RETURN(auto facts, trust.export_facts(request.cursor(), limit, &next));
        v1::ExportFactsReply reply;
        for (const auto& fact : facts) to_proto(fact, reply.add_facts());
        reply.set_next_cursor(next);
        return reply;
      })));

  MPLI_RETURN_IF_ERROR((context.serve<v1::GetAnchorsRequest, v1::TrustAnchors>(
      "get_anchors",
      [&trust](const v1::GetAnchorsRequest&, const CallContext&) -> Result<v1::TrustAnchors> {
        v1::TrustAnchors reply;
        to_proto(*trust.anchors(), &reply);
        return reply;
      })));

  MPLI_RETURN_IF_ERROR((context.serve<v1::PutAnchorsRequest, v1::PutAnchorsReply>(
      "put_anchors",
      [&trust, prepare_anchors](const v1::PutAnchorsRequest& request,
                                const CallContext&) -> Result<v1::PutAnchorsReply> {
        // The same checks as the configuration file: through the JSON form.
        MPLI_ASSIGN_OR_RETURN(AnchorSet parsed,
                              anchors_from_json(anchors_to_json(from_proto(request.anchors()))));
        MPLI_ASSIGN_OR_RETURN(AnchorSet prepared, prepare_anchors(std::move(parsed)));
        MPLI_ASSIGN_OR_RETURN(auto outcome,
                              trust.put_anchors(prepared, request.expected_version(), unix_now()));
        v1::PutAnchorsReply reply;
        to_proto(outcome.anchors, reply.mutable_anchors());
        reply.set_credentials_reevaluated(outcome.reevaluated);
        reply.set_facts_gained(outcome.facts_gained);
        reply.set_facts_lost(outcome.facts_lost);
        return reply;
      })));

  MPLI_RETURN_IF_ERROR((context.serve<v1::IssueCredentialRequest, v1::IssueCredentialReply>(
      "issue_credential",
      [&trust](const v1::IssueCredentialRequest& request,
               const CallContext&) -> Result<v1::IssueCredentialReply> {
        MPLI_ASSIGN_OR_RETURN(
            auto issued, trust.issue(request.credential_json(), request.valid_until(), unix_now()));
        v1::IssueCredentialReply reply;
        reply.set_token(issued.token);
        reply.set_issuer(issued.issuer);
        reply.set_media_type("application/vc+jwt");
        return reply;
      })));
  return Status::ok();
}

}  // namespace mpli::trust
