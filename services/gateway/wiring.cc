#include "services/gateway/wiring.h"

#include "services/gateway/handlers/discovery_routes.h"
#include "services/gateway/handlers/health_routes.h"
#include "services/gateway/http_server.h"

namespace mpli::gateway {

service::ServiceDefinition definition() {
  service::ServiceDefinition definition;
  definition.name = "gateway";
  definition.settings = {
      {"http.address", "127.0.0.1", "address the REST endpoint listens on", {}},
      {"http.port", "8080", "port of the REST endpoint", config::int_between(1, 65535)},
      {"http.threads", "8", "HTTP worker threads (a request waiting on a service holds one)", config::int_between(1, 64)},
      {"readyz.timeout", "1s", "how long /readyz waits for each service", config::duration()},
      {"request.timeout", "5s", "how long a request waits for a service's reply", config::duration()},
  };
  definition.start = [](service::ServiceContext& context) -> Status {
    HttpOptions options;
    options.address = context.config.get("http.address");
    options.port = context.config.get_int("http.port");
    options.threads = context.config.get_int("http.threads");
    auto server = context.own(std::make_shared<HttpServer>(options));
    add_health_routes(server->router(), context.bus, context.config.get_duration("readyz.timeout"));
    add_discovery_routes(server->router(), context.bus, context.config.get_duration("request.timeout"));
    MPLI_RETURN_IF_ERROR(server->start());
    return Status::ok();
  };
  return definition;
}

}  // namespace mpli::gateway
