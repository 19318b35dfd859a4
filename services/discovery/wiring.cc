#include "services/discovery/wiring.h"

#include <random>

#include "libs/core/log.h"
#include "services/discovery/catalogue_service.h"
#include "services/discovery/handlers/bus_handlers.h"

namespace mpli::discovery {

// Compiled in from services/discovery/migrations and ontology/shapes/manifest.ttl.
const std::vector<db::Migration>& migrations();
const std::string& manifest_shapes();

namespace {

// manifest.max_bytes, unless the deprecated fetch.max_bytes is set (it now means the same).
size_t manifest_max_bytes(const config::Config& config) {
  const std::string& old_key = config.get("fetch.max_bytes");
  if (!old_key.empty()) return static_cast<size_t>(config.get_int("fetch.max_bytes"));
  return static_cast<size_t>(config.get_int("manifest.max_bytes"));
}

FetchPolicy policy_from(const config::Config& config) {
  FetchPolicy policy;
  policy.guards.allow_http = config.get_bool("fetch.allow_http");
  policy.guards.allow_loopback = config.get_bool("fetch.allow_loopback");
  policy.guards.allow_private = config.get_bool("fetch.allow_private");
  policy.guards.max_bytes = manifest_max_bytes(config);
  policy.guards.timeout = config.get_duration("fetch.timeout");
  policy.guards.max_redirects = config.get_int("fetch.max_redirects");
  policy.refresh_interval = config.get_duration("refresh.interval");
  policy.max_backoff = config.get_duration("refresh.max_backoff");
  return policy;
}

ManifestLimits limits_from(const config::Config& config) {
  ManifestLimits limits;
  limits.max_bytes = manifest_max_bytes(config);
  limits.max_triples = static_cast<size_t>(config.get_int("manifest.max_triples"));
  return limits;
}

// cursor.secret, or 32 random bytes for this process when it is unset.
std::string cursor_secret(const config::Config& config) {
  const std::string& configured = config.get("cursor.secret");
  if (!configured.empty()) return configured;
  log::warn(
      "cursor.secret is not set: cursors are valid for this process only; give every "
      "discovery instance the same secret so pages continue across instances");
  std::random_device entropy;  // getrandom(2) on Linux
  std::string secret;
  for (int i = 0; i < 8; ++i) {
    uint32_t word = entropy();
    secret.append(reinterpret_cast<const char*>(&word), sizeof(word));
  }
  return secret;
}

// An empty value (the default) or what int_between accepts.
config::Check empty_or(config::Check check) {
  return [check = std::move(check)](std::string_view value) -> std::string {
    return value.empty() ? "" : check(value);
  };
}

}  // namespace

service::ServiceDefinition definition() {
  service::ServiceDefinition definition;
  definition.name = "discovery";
  definition.schema = "discovery";
  definition.migrations = &migrations();
  definition.settings = {
      {"fetch.allow_http", "false", "fetch manifests over plain http://", config::boolean()},
      {"fetch.allow_loopback", "false", "fetch from 127.0.0.0/8 and ::1", config::boolean()},
      {"fetch.allow_private", "false", "fetch from private and link-local ranges",
       config::boolean()},
      {"manifest.max_bytes", "8388608", "largest manifest accepted, uploaded or fetched (bytes)",
       config::int_between(1024, 1 << 30)},
      {"manifest.max_triples", "100000", "most triples in one manifest",
       config::int_between(100, 10000000)},
      {"fetch.max_bytes", "", "deprecated: manifest.max_bytes under its old name",
       empty_or(config::int_between(1024, 1 << 30))},
      {"fetch.timeout", "10s", "whole-fetch time limit", config::duration()},
      {"fetch.max_redirects", "3", "redirects followed", config::int_between(0, 10)},
      {"refresh.interval", "1h", "how often a manifest is fetched again", config::duration()},
      {"refresh.max_backoff", "24h", "longest wait after repeated failures", config::duration()},
      {"refresh.batch", "8", "providers one refresh worker claims at a time",
       config::int_between(1, 1000)},
      {"refresh.workers", "4", "parallel refresh workers", config::int_between(1, 64)},
      {"catalogue.page_bytes", "262144",
       "largest list or export page (bytes); at most half the bus's max payload is used",
       config::int_between(1024, 64 << 20)},
      {"cursor.secret",
       "",
       "HMAC key for pagination cursors; the same on every instance (unset: random per process)",
       {},
       false,
       true},
  };
  definition.start = [](service::ServiceContext& context) -> Status {
    // The kinds registered at run time join these at the first check (CatalogueService).
    MPLI_ASSIGN_OR_RETURN(std::vector<ServiceKind> builtin, builtin_kinds());
    MPLI_ASSIGN_OR_RETURN(
        auto checker,
        ManifestChecker::from_text(manifest_shapes(), limits_from(context.config), builtin));
    auto store = context.own(std::make_shared<CatalogueStore>(*context.pool));
    CatalogueOptions options;
    options.builtin_kinds = std::move(builtin);
    options.policy = policy_from(context.config);
    options.page_bytes = static_cast<size_t>(context.config.get_int("catalogue.page_bytes"));
    bus::Connection* bus = &context.bus;
    options.max_payload = [bus] { return bus->max_payload(); };
    options.cursor_secret = cursor_secret(context.config);
    auto catalogue = context.own(
        std::make_shared<CatalogueService>(*store, checker, options, context.stop_token()));
    MPLI_RETURN_IF_ERROR(serve_discovery_subjects(context, *catalogue));
    // Refresh workers: each claims due providers and looks again at once while there is work,
    // else after a second. On stop, a fetch in progress is abandoned (the catalogue shares the
    // same stop token) and the claims not finished are given back.
    int batch = context.config.get_int("refresh.batch");
    for (int i = 0; i < context.config.get_int("refresh.workers"); ++i) {
      context.run_worker("refresh", [catalogue, batch](const service::StopToken& stop) {
        while (!stop.stop_requested()) {
          int attempted = catalogue->refresh_due(batch);
          if (attempted < batch && stop.wait_for(std::chrono::seconds(1))) break;
        }
      });
    }
    return Status::ok();
  };
  return definition;
}

}  // namespace mpli::discovery
