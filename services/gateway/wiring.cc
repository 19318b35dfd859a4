#include "services/gateway/wiring.h"

#include <sstream>

#include "libs/bus/request_observer.h"
#include "libs/core/log.h"
#include "libs/fetch/guarded_fetcher.h"
#include "services/gateway/auth/guard.h"
#include "services/gateway/auth/hub_key.h"
#include "services/gateway/auth/oidc_keys.h"
#include "services/gateway/domain/readiness.h"
#include "services/gateway/handlers/auth_routes.h"
#include "services/gateway/handlers/console_routes.h"
#include "services/gateway/handlers/delivery_routes.h"
#include "services/gateway/handlers/discovery_routes.h"
#include "services/gateway/handlers/event_routes.h"
#include "services/gateway/handlers/health_routes.h"
#include "services/gateway/handlers/metrics_routes.h"
#include "services/gateway/handlers/openapi_routes.h"
#include "services/gateway/handlers/portability_routes.h"
#include "services/gateway/handlers/resolver_routes.h"
#include "services/gateway/handlers/trust_routes.h"
#include "services/gateway/http_server.h"

namespace mpli::gateway {
namespace {

std::vector<std::string> comma_list(const std::string& text) {
  std::vector<std::string> items;
  std::stringstream in(text);
  std::string item;
  while (std::getline(in, item, ',')) {
    auto first = item.find_first_not_of(" \t");
    if (first == std::string::npos) continue;
    auto last = item.find_last_not_of(" \t");
    items.push_back(item.substr(first, last - first + 1));
  }
  return items;
}

struct Auth {
  std::shared_ptr<const auth::Guard> guard;
  std::vector<credentials::PublicKey> hub_keys;
  // Tokens the guard verified: the rate limit gives only them a bucket of their own.
  std::shared_ptr<VerifiedTokens> verified_tokens = std::make_shared<VerifiedTokens>();
};

// The verifier every route's guard uses: the hub's own key (auth.signing_key_file) and each
// OIDC issuer's JWKS. Read before anything listens: a key file others may read stops the
// gateway here.
Result<Auth> load_auth(service::ServiceContext& context) {
  const config::Config& config = context.config;
  Auth result;
  std::vector<auth::TrustedIssuer> issuers;
  std::string key_file = config.get("auth.signing_key_file");
  if (!key_file.empty()) {
    auto key = auth::load_signing_key(key_file, "auth.signing_key_file");
    if (!key) return key.status();
    auto keys = std::make_shared<auth::FixedKeys>();
    keys->add(auth::key_id(key->public_key()), key->public_key());
    result.hub_keys.push_back(key->public_key());
    issuers.push_back({config.get("auth.issuer"), keys, "role", "tenant"});
  }
  auto oidc_issuers = comma_list(config.get("auth.oidc_issuers"));
  if (!oidc_issuers.empty()) {
    fetch::FetchPolicy policy;
    policy.allow_loopback = config.get_bool("auth.oidc_allow_loopback");
    policy.allow_http = policy.allow_loopback;
    policy.max_bytes = 256 * 1024;
    policy.timeout = config.get_duration("auth.oidc_timeout");
    auto fetcher = std::make_shared<const fetch::GuardedFetcher>(policy, context.stop_token());
    for (const auto& issuer : oidc_issuers) {
      auto keys = std::make_shared<const auth::OidcKeys>(issuer, fetcher);
      issuers.push_back(
          {issuer, keys, config.get("auth.oidc_role_claim"), config.get("auth.oidc_tenant_claim")});
    }
  }
  if (issuers.empty()) {
    log::warn(
        "no auth.signing_key_file and no auth.oidc_issuers: every route that needs a token "
        "answers 401");
  } else {
    nlohmann::json names = nlohmann::json::array();
    for (const auto& issuer : issuers) names.push_back(issuer.issuer);
    nlohmann::json fields = {{"issuers", names}};
    if (!result.hub_keys.empty()) fields["kid"] = auth::key_id(result.hub_keys.front());
    log::info("bearer tokens accepted", fields);
  }
  auth::TokenRules rules;
  rules.audience = config.get("auth.audience");
  auto verifier = std::make_shared<const auth::TokenVerifier>(std::move(issuers), rules);
  result.guard = std::make_shared<const auth::Guard>(verifier, result.verified_tokens);
  return result;
}

}  // namespace

service::ServiceDefinition definition() {
  service::ServiceDefinition definition;
  definition.name = "gateway";
  definition.settings = {
      {"http.address", "127.0.0.1", "address the REST endpoint listens on", {}},
      {"http.port", "8080", "port of the REST endpoint", config::int_between(1, 65535)},
      {"http.threads", "2",
       "I/O threads: they read, route and write; services are called on the executors",
       config::int_between(1, 64)},
      {"http.max_body_bytes", "8388608",
       "largest request body (a manifest upload); larger ones are refused 413 from their "
       "Content-Length, before the body is read. Keep it equal to discovery's manifest limit",
       config::int_between(1024, 1 << 30)},
      {"http.read_timeout", "30s", "how long a client may take to send one request (then 408)",
       config::duration()},
      {"http.idle_timeout", "60s", "how long an idle keep-alive connection stays open",
       config::duration()},
      {"executor.quick.threads", "8",
       "threads calling services for quick requests (lookups, lists, deletion, catalogue)",
       config::int_between(1, 256)},
      {"executor.quick.queue_limit", "256",
       "quick requests that may wait for a thread; more are answered 503 with Retry-After",
       config::int_between(0, 100000)},
      {"executor.slow.threads", "4",
       "threads for registration, refresh, credential submission and verification, which wait "
       "for providers' and issuers' servers, and for resolutions, which search the catalogue",
       config::int_between(1, 256)},
      {"executor.slow.queue_limit", "32",
       "registrations, refreshes, credential submissions and resolutions that may wait for a "
       "thread; more are answered 503 with Retry-After",
       config::int_between(0, 100000)},
      {"readyz.timeout", "1s", "how long /readyz waits for each service (all are asked at once)",
       config::duration()},
      {"request.timeout", "5s", "how long a quick request waits for a service's reply",
       config::duration()},
      {"request.long_timeout", "20s",
       "how long registration, refresh, each catalogue page, credential submission and "
       "verification wait for their service (which may first fetch a manifest, a did:web "
       "document or a status list)",
       config::duration()},
      {"request.resolve_timeout", "30s",
       "how long POST /v1/resolutions waits for the resolver (which may first have trust verify "
       "inline credentials, then searches the catalogue)",
       config::duration()},
      {"ratelimit.requests_per_second", "50",
       "requests per second each client may send on average (a verified bearer token, or the "
       "address of a client without one); more are answered 429 with Retry-After. 0: no limit",
       config::int_between(0, 1000000)},
      {"ratelimit.burst", "100",
       "requests a client may send at once after a quiet spell (the bucket's size). 0: no limit",
       config::int_between(0, 1000000)},
      {"metrics.service_timeout", "500ms",
       "how long GET /metrics waits for each service's statistics (all are asked at once); a "
       "service that does not answer in time reads mpli_service_up 0",
       config::duration()},
      {"http.tls_certificate_file",
       "",
       "PEM certificate chain of the REST endpoint; with http.tls_key_file it serves HTTPS only",
       {}},
      {"http.tls_key_file", "", "PEM private key of http.tls_certificate_file", {}},
      {"auth.signing_key_file",
       "",
       "the hub's token key: a P-256 private key as PKCS#8 PEM, readable by its owner only "
       "(the gateway refuses to start otherwise). Tokens it signs are verified with its public "
       "half, served at /.well-known/jwks.json. Unset: only OIDC tokens are accepted",
       {}},
      {"auth.issuer", "mpli", "the iss of the hub's own tokens", {}},
      {"auth.audience", "mpli", "the aud every accepted token must name", {}},
      {"auth.oidc_issuers",
       "",
       "comma-separated OIDC issuer URLs whose ES256 tokens are accepted (keys from their "
       "discovery document's jwks_uri)",
       {}},
      {"auth.oidc_role_claim", "mpli_role", "the claim of an OIDC token that carries the role", {}},
      {"auth.oidc_tenant_claim",
       "mpli_tenant",
       "the claim of an OIDC token that carries the consumer tenant",
       {}},
      {"auth.oidc_allow_loopback", "false",
       "let OIDC discovery and JWKS be fetched from 127.0.0.1 over plain http (tests, local "
       "identity providers)",
       config::boolean()},
      {"auth.oidc_timeout", "5s", "how long one OIDC discovery or JWKS fetch may take",
       config::duration()},
      {"cache.catalogue_max_age", "0s",
       "catalogue reads (offerings, providers, /.well-known/mpli-providers) are answered from "
       "memory for at most this long; any hub event and any change through this gateway empties "
       "the cache at once. 0: off, always ask discovery (`mpli up` sets 1s)",
       config::duration()},
      {"events.max_streams", "100",
       "GET /v1/events streams open at once (each is a JetStream consumer and a nats.c delivery "
       "thread); more are answered 503 with Retry-After",
       config::int_between(1, 10000)},
      {"events.heartbeat", "15s",
       "a GET /v1/events stream with nothing to send for this long gets a comment line, so "
       "clients and proxies see it is alive",
       config::duration()},
      {"events.retry", "3s", "the reconnection delay GET /v1/events suggests to clients (retry:)",
       config::duration()},
  };
  definition.start = [](service::ServiceContext& context) -> Status {
    const config::Config& config = context.config;
    auto auth = load_auth(context);
    if (!auth) return auth.status();
    HttpServerOptions options;
    options.address = config.get("http.address");
    options.port = config.get_int("http.port");
    options.io_threads = config.get_int("http.threads");
    options.limits.max_body_bytes = static_cast<size_t>(config.get_int("http.max_body_bytes"));
    options.read_timeout = config.get_duration("http.read_timeout");
    options.idle_timeout = config.get_duration("http.idle_timeout");
    options.drain_timeout = config.get_duration("shutdown.timeout") / 2;
    options.rate_limit.requests_per_second = config.get_int("ratelimit.requests_per_second");
    options.rate_limit.burst = config.get_int("ratelimit.burst");
    // Probes and scrapes come often from one address; limiting them would fail the probe.
    options.unlimited_routes = {"/healthz", "/readyz", "/metrics"};
    options.verified_tokens = auth->verified_tokens;
    options.tls_certificate_file = config.get("http.tls_certificate_file");
    options.tls_key_file = config.get("http.tls_key_file");
    if (options.tls_certificate_file.empty() != options.tls_key_file.empty()) {
      return invalid_field(
          options.tls_certificate_file.empty() ? "http.tls_certificate_file" : "http.tls_key_file",
          "TLS needs both http.tls_certificate_file and http.tls_key_file; set "
          "the missing one, or neither for plain HTTP");
    }
    auto server = context.own(std::make_shared<HttpServer>(options));
    // Bus calls by service and outcome, for /metrics; the scrape's own statistics requests are
    // left out, so a service that is down does not count one error per scrape.
    std::weak_ptr<HttpServer> observed = server;
    bus::set_request_observer(
        [observed](const std::string& subject, const Status& outcome, std::chrono::nanoseconds) {
          constexpr std::string_view kStats = ".v1.stats";
          if (subject.size() >= kStats.size() &&
              subject.compare(subject.size() - kStats.size(), kStats.size(), kStats) == 0) {
            return;
          }
          if (auto live = observed.lock()) live->metrics().record_bus_call(subject, outcome);
        });

    // One thread per service, so /readyz asks them all at once.
    int services = static_cast<int>(hub_services().size());
    BoundedExecutor& probes = server->add_executor("probes", services, services * 8);
    add_health_routes(*server, context.bus, probes, config.get_duration("readyz.timeout"));
    add_metrics_routes(*server, context.bus, probes,
                       config.get_duration("metrics.service_timeout"));

    BoundedExecutor& quick = server->add_executor("quick", config.get_int("executor.quick.threads"),
                                                  config.get_int("executor.quick.queue_limit"));
    BoundedExecutor& slow = server->add_executor("slow", config.get_int("executor.slow.threads"),
                                                 config.get_int("executor.slow.queue_limit"));
    auto timeout = config.get_duration("request.timeout");
    auto long_timeout = config.get_duration("request.long_timeout");

    DiscoveryRoutesOptions discovery;
    discovery.quick = &quick;
    discovery.slow = &slow;
    discovery.timeout = timeout;
    discovery.long_timeout = long_timeout;
    discovery.guard = auth->guard;
    if (auto max_age = config.get_duration("cache.catalogue_max_age"); max_age.count() > 0) {
      ReadCacheLimits limits;
      limits.max_age = max_age;
      discovery.read_cache = std::make_shared<ReadCache>(limits);
      // Every event of the hub (catalogue and facts change through them) empties it. A plain
      // subscription sees them as they are published to the stream's subjects.
      auto on_event = context.bus.subscribe(
          "mpli.events.>",
          [cache = discovery.read_cache](const bus::Message&) { cache->invalidate(); });
      if (!on_event) return on_event.status();
      context.own(std::shared_ptr<bus::Subscription>(std::move(on_event).value()));
    }
    add_discovery_routes(*server, context.bus, discovery);

    TrustRoutesOptions trust;
    trust.quick = &quick;
    trust.slow = &slow;
    trust.timeout = timeout;
    trust.long_timeout = long_timeout;
    trust.guard = auth->guard;
    add_trust_routes(*server, context.bus, trust);

    ResolverRoutesOptions resolver;
    resolver.quick = &quick;
    resolver.slow = &slow;
    resolver.timeout = timeout;
    resolver.resolve_timeout = config.get_duration("request.resolve_timeout");
    resolver.guard = auth->guard;
    add_resolver_routes(*server, context.bus, resolver);

    DeliveryRoutesOptions delivery;
    delivery.quick = &quick;
    delivery.slow = &slow;
    delivery.timeout = timeout;
    delivery.create_timeout = long_timeout;
    delivery.guard = auth->guard;
    add_delivery_routes(*server, context.bus, delivery);
    PortabilityRoutesOptions portability;
    portability.quick = &quick;
    portability.slow = &slow;
    portability.timeout = timeout;
    portability.create_timeout = long_timeout;
    portability.guard = auth->guard;
    add_portability_routes(*server, context.bus, portability);
    add_auth_routes(*server, auth->guard, &quick, auth->hub_keys);
    add_openapi_routes(*server);
    add_console_routes(*server);

    // Set up on `quick`; once open a stream holds no executor thread (event_routes.h).
    EventRoutesOptions events{
        &quick, config.get_int("events.max_streams"), config.get_duration("events.heartbeat"),
        config.get_duration("events.retry"), bearer_token_caller(auth->guard)};
    auto streams = context.own(add_event_routes(*server, context.bus, std::move(events)));
    context.run_worker("event streams", [streams](const service::StopToken& stop) {
      run_event_streams(*streams, stop);
    });
    return server->start();
  };
  return definition;
}

}  // namespace mpli::gateway
