#include "services/gateway/wiring.h"

#include "libs/bus/request_observer.h"
#include "services/gateway/admin_auth.h"
#include "services/gateway/domain/readiness.h"
#include "services/gateway/handlers/discovery_routes.h"
#include "services/gateway/handlers/event_routes.h"
#include "services/gateway/handlers/health_routes.h"
#include "services/gateway/handlers/metrics_routes.h"
#include "services/gateway/handlers/openapi_routes.h"
#include "services/gateway/handlers/resolver_routes.h"
#include "services/gateway/handlers/trust_routes.h"
#include "services/gateway/http_server.h"

namespace mpli::gateway {

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
       "requests per second each client may send on average (a bearer token's hash, or the "
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
      {"admin.token_file",
       "",
       "file holding the bearer token of the admin routes (trust anchors, issuing); it must not "
       "be readable by group or others. Unset: the admin routes answer 403",
       {}},
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
    // Read before anything listens: a token file others may read stops the gateway here.
    auto admin_token = load_admin_token(config.get("admin.token_file"));
    if (!admin_token) return admin_token.status();
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
    add_discovery_routes(*server, context.bus, discovery);

    TrustRoutesOptions trust;
    trust.quick = &quick;
    trust.slow = &slow;
    trust.timeout = timeout;
    trust.long_timeout = long_timeout;
    auto admin = std::make_shared<const AdminAuthorization>(std::move(admin_token).value());
    trust.admin = admin;
    add_trust_routes(*server, context.bus, trust);

    ResolverRoutesOptions resolver;
    resolver.quick = &quick;
    resolver.slow = &slow;
    resolver.timeout = timeout;
    resolver.resolve_timeout = config.get_duration("request.resolve_timeout");
    add_resolver_routes(*server, context.bus, resolver);
    add_openapi_routes(*server);

    // Set up on `quick`; once open a stream holds no executor thread (event_routes.h).
    EventRoutesOptions events{&quick, config.get_int("events.max_streams"),
                              config.get_duration("events.heartbeat"),
                              config.get_duration("events.retry"), admin_token_caller(admin)};
    auto streams = context.own(add_event_routes(*server, context.bus, std::move(events)));
    context.run_worker("event streams", [streams](const service::StopToken& stop) {
      run_event_streams(*streams, stop);
    });
    return server->start();
  };
  return definition;
}

}  // namespace mpli::gateway
