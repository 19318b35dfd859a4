#include "services/trust/wiring.h"

#include <fstream>
#include <sstream>

#include "libs/core/log.h"
#include "libs/credentials/x509_chain.h"
#include "libs/db/applied_events.h"
#include "libs/fetch/guarded_fetcher.h"
#include "mpli/common/v1/envelope.pb.h"
#include "services/trust/handlers/bus_handlers.h"
#include "services/trust/hub_issuer.h"
#include "services/trust/hub_key_resolver.h"
#include "services/trust/rewriting_fetcher.h"
#include "services/trust/status_lists.h"
#include "services/trust/store/trust_store.h"
#include "services/trust/trust_service.h"

namespace mpli::trust {

// Compiled in from services/trust/migrations by mpli_embed_sql.
const std::vector<db::Migration>& migrations();

namespace {

// The credentials a provider manifest points to, fetched with the guarded fetcher.
class FetchedCredentials : public CredentialSource {
 public:
  explicit FetchedCredentials(const RewritingFetcher& fetcher) : fetcher_(fetcher) {}
  Result<std::string> fetch(const std::string& url) override {
    fetch::FetchRequest request;
    request.url = url;
    request.accept = "application/vc+jwt, application/dc+sd-jwt, application/jwt, text/plain";
    auto response = fetcher_.fetch(request);
    if (!response.is_ok()) {
      Status why = response.status();
      // 4xx will not get better by itself: a refusal to show, not an event to retry.
      if (why.detail("http_status").rfind('4', 0) == 0) {
        return Status(StatusCode::kInvalidArgument, why.message(),
                      {{"reason", "FETCH_FAILED"}, {"domain", "trust"}});
      }
      if (why.code() == StatusCode::kUnavailable || why.code() == StatusCode::kDeadlineExceeded) {
        return why;
      }
      return Status(StatusCode::kInvalidArgument, why.message(),
                    {{"reason", "FETCH_FAILED"}, {"domain", "trust"}});
    }
    std::string token = response->body;
    auto first = token.find_first_not_of(" \t\r\n");
    auto last = token.find_last_not_of(" \t\r\n");
    return first == std::string::npos ? "" : token.substr(first, last - first + 1);
  }

 private:
  const RewritingFetcher& fetcher_;
};

fetch::FetchPolicy policy_from(const config::Config& config) {
  fetch::FetchPolicy policy;
  policy.allow_http = config.get_bool("fetch.allow_http");
  policy.allow_loopback = config.get_bool("fetch.allow_loopback");
  policy.allow_private = config.get_bool("fetch.allow_private");
  policy.max_bytes = static_cast<size_t>(config.get_int("fetch.max_bytes"));
  policy.timeout = config.get_duration("fetch.timeout");
  policy.max_redirects = config.get_int("fetch.max_redirects");
  return policy;
}

// Root certificates parsed and fingerprinted, each anchor on its own so an error names it.
Result<AnchorSet> prepare_anchors(AnchorSet anchors) {
  for (size_t i = 0; i < anchors.anchors.size(); ++i) {
    TrustAnchor& anchor = anchors.anchors[i];
    anchor.root_fingerprints.clear();
    for (size_t j = 0; j < anchor.root_certificates.size(); ++j) {
      auto roots = credentials::CertificateRoots::from_pem(anchor.root_certificates[j]);
      std::string field =
          "anchors[" + std::to_string(i) + "].root_certificates[" + std::to_string(j) + "]";
      if (!roots.is_ok()) {
        return Status(StatusCode::kInvalidArgument, field + ": " + roots.status().message(),
                      {{"reason", "BAD_ANCHORS"}, {"domain", "trust"}, {"field", field}});
      }
      for (const auto& fingerprint : roots->fingerprints()) {
        anchor.root_fingerprints.push_back(fingerprint);
      }
    }
  }
  return anchors;
}

Result<AnchorSet> anchors_from_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    return Status(StatusCode::kFailedPrecondition, "anchors.file " + path + " cannot be read");
  }
  std::stringstream text;
  text << in.rdbuf();
  auto document = nlohmann::json::parse(text.str(), nullptr, false);
  if (document.is_discarded()) {
    return Status(StatusCode::kFailedPrecondition, "anchors.file " + path + " is not JSON");
  }
  auto parsed = anchors_from_json(document);
  if (!parsed.is_ok()) {
    return Status(StatusCode::kFailedPrecondition,
                  "anchors.file " + path + ": " + parsed.status().message());
  }
  return prepare_anchors(std::move(*parsed));
}

// The anchors in force: the stored ones, or at first start those of anchors.file (stored, so
// every instance agrees and an admin's later PUT wins over the file).
Status load_anchors(TrustStore& store, TrustService& trust, AnchorHolder& holder,
                    const std::string& file) {
  MPLI_ASSIGN_OR_RETURN(auto stored, store.anchors());
  if (stored) {
    MPLI_ASSIGN_OR_RETURN(AnchorSet prepared, prepare_anchors(std::move(*stored)));
    holder.replace(std::move(prepared));
    return Status::ok();
  }
  if (file.empty()) {
    log::warn(
        "no trust anchors: anchors.file is unset and none were stored; every credential "
        "will be untrusted until an admin PUTs /v1/trust/anchors");
    return Status::ok();
  }
  MPLI_ASSIGN_OR_RETURN(AnchorSet from_file, anchors_from_file(file));
  auto outcome = trust.put_anchors(from_file, 0, unix_now());
  // Another instance may have stored them first: then use those.
  if (!outcome.is_ok() && outcome.status().code() != StatusCode::kConflict) {
    return outcome.status();
  }
  MPLI_ASSIGN_OR_RETURN(auto now_stored, store.anchors());
  if (now_stored) {
    MPLI_ASSIGN_OR_RETURN(AnchorSet prepared, prepare_anchors(std::move(*now_stored)));
    holder.replace(std::move(prepared));
  }
  return Status::ok();
}

Status apply_manifest_event(TrustService& trust, const bus::Message& message) {
  common::v1::Envelope envelope;
  discovery::v1::ManifestIngested event;
  if (!envelope.ParseFromString(message.data) || !event.ParseFromString(envelope.payload())) {
    return Status(StatusCode::kInvalidArgument,
                  "manifest_ingested: not an Envelope of "
                  "mpli.discovery.v1.ManifestIngested");
  }
  return trust.apply_manifest(event, unix_now());
}

}  // namespace

service::ServiceDefinition definition() {
  service::ServiceDefinition definition;
  definition.name = "trust";
  definition.schema = "trust";
  definition.migrations = &migrations();
  definition.settings = {
      {"anchors.file",
       "",
       "JSON trust anchors stored at first start (later changes: PUT /v1/trust/anchors)",
       {}},
      {"credentials.clock_skew", "60s", "tolerance on validity periods", config::duration()},
      {"credentials.max_token_bytes", "262144", "largest credential accepted (bytes)",
       config::int_between(1024, 16 << 20)},
      {"credentials.audience", "", "expected aud of SD-JWT key binding JWTs (the hub's id)", {}},
      {"fetch.allow_http", "false", "fetch credentials, did:web and status lists over http://",
       config::boolean()},
      {"fetch.allow_loopback", "false", "fetch from 127.0.0.0/8 and ::1", config::boolean()},
      {"fetch.allow_private", "false", "fetch from private and link-local ranges",
       config::boolean()},
      {"fetch.max_bytes", "1048576", "largest fetched credential, DID document or status list",
       config::int_between(1024, 64 << 20)},
      {"fetch.timeout", "10s", "whole-fetch time limit", config::duration()},
      {"fetch.max_redirects", "3", "redirects followed", config::int_between(0, 10)},
      {"fetch.rewrite",
       "",
       "PREFIX=REPLACEMENT pairs (space-separated) applied to URLs before fetching: a local "
       "federation serves https://<provider>/ names from loopback",
       {}},
      {"did_web.cache_ttl", "10m", "how long a fetched did:web document is used",
       config::duration()},
      {"status.cache_ttl", "5m", "longest a status list is used before it is fetched again",
       config::duration()},
      {"status.max_list_bytes", "16777216", "largest decompressed status list (bytes)",
       config::int_between(1024, 256 << 20)},
      {"recheck.interval", "1m", "how often expiry and revocation of kept credentials is checked",
       config::duration()},
      {"issuer.key_file", "", "PKCS#8 PEM key the hub issues credentials with (mode 0600)", {}},
      {"issuer.id", "", "the hub's issuer id (default: the key's did:key)", {}},
  };
  definition.start = [](service::ServiceContext& context) -> Status {
    const config::Config& config = context.config;
    {
      MPLI_ASSIGN_OR_RETURN(auto lease, context.pool->acquire());
      MPLI_RETURN_IF_ERROR(db::ensure_applied_events_table(*lease, "trust"));
    }
    auto store = context.own(std::make_shared<TrustStore>(*context.pool));
    MPLI_ASSIGN_OR_RETURN(UrlRewrites rewrites, parse_url_rewrites(config.get("fetch.rewrite")));
    auto guarded = context.own(
        std::make_shared<fetch::GuardedFetcher>(policy_from(config), context.stop_token()));
    auto fetcher = context.own(std::make_shared<RewritingFetcher>(*guarded, rewrites));
    auto anchors = context.own(std::make_shared<AnchorHolder>());
    auto seconds = [&config](const char* key) {
      return std::chrono::duration_cast<std::chrono::seconds>(config.get_duration(key));
    };
    auto keys = context.own(
        std::make_shared<HubKeyResolver>(*fetcher, *anchors, seconds("did_web.cache_ttl")));
    int64_t skew = seconds("credentials.clock_skew").count();
    auto status = context.own(std::make_shared<StatusLists>(
        *fetcher, *keys, seconds("status.cache_ttl"), skew,
        static_cast<size_t>(config.get_int("status.max_list_bytes"))));
    auto source = context.own(std::make_shared<FetchedCredentials>(*fetcher));
    std::shared_ptr<HubIssuer> issuer;
    if (!config.get("issuer.key_file").empty()) {
      MPLI_ASSIGN_OR_RETURN(
          auto loaded, HubIssuer::load(config.get("issuer.key_file"), config.get("issuer.id")));
      issuer = context.own(std::shared_ptr<HubIssuer>(std::move(loaded)));
      log::info("issuing credentials as " + issuer->issuer_id());
    }
    TrustOptions options;
    options.clock_skew_seconds = skew;
    options.max_token_bytes = static_cast<size_t>(config.get_int("credentials.max_token_bytes"));
    options.audience = config.get("credentials.audience");
    auto trust = context.own(std::make_shared<TrustService>(*store, *keys, *status, *source,
                                                            *anchors, issuer.get(), options));
    MPLI_RETURN_IF_ERROR(load_anchors(*store, *trust, *anchors, config.get("anchors.file")));
    MPLI_RETURN_IF_ERROR(serve_trust_subjects(context, *trust, prepare_anchors));

    service::EventConsumerSpec spec;
    spec.durable = "trust-manifests";
    spec.subjects = {service::event_subject("discovery", "manifest_ingested")};
    MPLI_RETURN_IF_ERROR(
        context.consume(spec, [trust](const bus::Message& message, const service::Delivery&) {
          return apply_manifest_event(*trust, message);
        }));
    context.every("recheck", config.get_duration("recheck.interval"),
                  [trust](const service::StopToken&) {
                    auto changed = trust->recheck(unix_now(), 200);
                    if (!changed.is_ok()) {
                      log::warn("credential recheck failed: " + changed.status().message());
                    }
                  });
    return Status::ok();
  };
  return definition;
}

}  // namespace mpli::trust
