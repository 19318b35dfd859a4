#include "services/discovery/wiring.h"

#include "libs/core/log.h"
#include "services/discovery/catalogue_service.h"
#include "services/discovery/handlers/bus_handlers.h"

namespace mpli::discovery {

// Compiled in from services/discovery/migrations and ontology/shapes/manifest.ttl.
const std::vector<db::Migration>& migrations();
const std::string& manifest_shapes();

namespace {

FetchPolicy policy_from(const config::Config& config) {
  FetchPolicy policy;
  policy.allow_http = config.get_bool("fetch.allow_http");
  policy.allow_loopback = config.get_bool("fetch.allow_loopback");
  policy.allow_private = config.get_bool("fetch.allow_private");
  policy.max_bytes = static_cast<size_t>(config.get_int("fetch.max_bytes"));
  policy.timeout = config.get_duration("fetch.timeout");
  policy.max_redirects = config.get_int("fetch.max_redirects");
  policy.refresh_interval = config.get_duration("refresh.interval");
  policy.max_backoff = config.get_duration("refresh.max_backoff");
  return policy;
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
      {"fetch.allow_private", "false", "fetch from private and link-local ranges", config::boolean()},
      {"fetch.max_bytes", "16777216", "largest manifest accepted", config::int_between(1024, 1 << 30)},
      {"fetch.timeout", "10s", "whole-fetch time limit", config::duration()},
      {"fetch.max_redirects", "3", "redirects followed", config::int_between(0, 10)},
      {"refresh.interval", "1h", "how often a manifest is fetched again", config::duration()},
      {"refresh.max_backoff", "24h", "longest wait after repeated failures", config::duration()},
      {"refresh.batch", "8", "providers one refresh worker claims at a time", config::int_between(1, 1000)},
      {"refresh.workers", "4", "parallel refresh workers", config::int_between(1, 64)},
  };
  definition.start = [](service::ServiceContext& context) -> Status {
    MPLI_ASSIGN_OR_RETURN(auto checker, ManifestChecker::from_text(manifest_shapes()));
    auto store = context.own(std::make_shared<CatalogueStore>(*context.pool));
    auto catalogue = context.own(
        std::make_shared<CatalogueService>(*store, checker, policy_from(context.config)));
    MPLI_RETURN_IF_ERROR(serve_discovery_subjects(context, *catalogue));
    // Refresh workers: each claims due providers and looks again at once while there is work,
    // else after a second.
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
