#include "services/gateway/http_server.h"

#include "libs/core/log.h"

namespace mpli::gateway {

HttpServer::HttpServer(HttpOptions options) : options_(std::move(options)) {}

Status HttpServer::start() {
  using namespace Pistache;
  router_.addNotFoundHandler([](const Rest::Request& request, Http::ResponseWriter response) {
    send_problem(response, Http::Code::Not_Found, "Not Found",
                 "no resource at " + request.resource());
    return Rest::Route::Result::Ok;
  });
  try {
    Address address(options_.address, Port(static_cast<uint16_t>(options_.port)));
    endpoint_ = std::make_shared<Http::Endpoint>(address);
    auto opts = Http::Endpoint::options()
                    .threads(options_.threads)
                    .flags(Tcp::Options::ReuseAddr)
                    .maxRequestSize(options_.max_request_bytes)
                    .maxResponseSize(64 * 1024 * 1024);
    endpoint_->init(opts);
    endpoint_->setHandler(router_.handler());
    endpoint_->serveThreaded();
  } catch (const std::exception& e) {
    return unavailable("cannot listen on " + options_.address + ":" +
                       std::to_string(options_.port) + ": " + e.what());
  }
  log::info("http listening", {{"address", options_.address}, {"port", options_.port}});
  return Status::ok();
}

void HttpServer::stop() {
  if (endpoint_) endpoint_->shutdown();
  endpoint_.reset();
}

void send_json(Pistache::Http::ResponseWriter& response, Pistache::Http::Code code,
               const nlohmann::json& body) {
  response.headers().add<Pistache::Http::Header::ContentType>(MIME(Application, Json));
  response.send(code, body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

void send_problem(Pistache::Http::ResponseWriter& response, Pistache::Http::Code code,
                  const std::string& title, const std::string& detail, const nlohmann::json& extra) {
  nlohmann::json body = {{"type", "about:blank"},
                         {"title", title},
                         {"status", static_cast<int>(code)},
                         {"detail", detail}};
  if (extra.is_object()) {
    for (const auto& [key, value] : extra.items()) body[key] = value;
  }
  response.headers().add<Pistache::Http::Header::ContentType>(
      Pistache::Http::Mime::MediaType("application/problem+json"));
  response.send(code, body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

}  // namespace mpli::gateway
