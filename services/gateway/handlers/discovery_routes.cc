#include "services/gateway/handlers/discovery_routes.h"

#include <google/protobuf/util/json_util.h>

#include <nlohmann/json.hpp>

#include "libs/service/runtime.h"
#include "mpli/discovery/v1/discovery.pb.h"
#include "services/gateway/domain/offering_query.h"
#include "services/gateway/domain/problem.h"
#include "services/gateway/domain/url.h"
#include "services/gateway/http_server.h"

namespace mpli::gateway {
namespace {

using Pistache::Http::Code;
using Pistache::Http::ResponseWriter;
using Pistache::Rest::Request;
using Pistache::Rest::Route;
namespace v1 = discovery::v1;

template <typename Reply>
Result<Reply> call(bus::Connection& bus, const std::string& operation,
                   const google::protobuf::Message& request, std::chrono::milliseconds timeout) {
  auto reply = bus.request(service::request_subject("discovery", operation),
                           request.SerializeAsString(), timeout);
  if (!reply) return reply.status();
  Reply parsed;
  if (!parsed.ParseFromString(reply->data)) return internal_error("unreadable reply from discovery");
  return parsed;
}

nlohmann::json to_json(const google::protobuf::Message& message) {
  std::string text;
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  options.always_print_primitive_fields = true;
  google::protobuf::util::MessageToJsonString(message, &text, options);
  return nlohmann::json::parse(text, nullptr, false);
}

void send_status(ResponseWriter& response, const Status& status) {
  Problem problem = problem_for(status);
  if (problem.retry_after_seconds > 0) {
    response.headers().addRaw(
        Pistache::Http::Header::Raw("Retry-After", std::to_string(problem.retry_after_seconds)));
  }
  send_problem(response, static_cast<Code>(problem.http_status), problem.body["title"],
               status.message(), problem.body);
}

// 200 with `render(reply)` as JSON, or the problem the service answered.
template <typename Reply, typename Render>
void send_json_or_problem(ResponseWriter& response, const Result<Reply>& reply, Render render) {
  if (!reply) return send_status(response, reply.status());
  send_json(response, Code::Ok, render(*reply));
}

std::string header_value(const Request& request, const std::string& name) {
  auto raw = request.headers().tryGetRaw(name);
  return raw ? raw->value() : std::string();
}

bool accepts(const Request& request, const std::string& type) {
  return header_value(request, "Accept").find(type) != std::string::npos;
}

void provider_reply(ResponseWriter& response, const Result<v1::RegisterProviderReply>& reply) {
  if (!reply) return send_status(response, reply.status());
  nlohmann::json body = to_json(reply->provider());
  send_json(response, reply->created() ? Code::Created : Code::Ok, body);
}

}  // namespace

void add_discovery_routes(Pistache::Rest::Router& router, bus::Connection& bus,
                          std::chrono::milliseconds timeout) {
  using namespace Pistache::Rest::Routes;

  Post(router, "/v1/providers", [&bus, timeout](const Request& request, ResponseWriter response) {
    std::string type = header_value(request, "Content-Type");
    v1::RegisterProviderRequest register_request;
    if (type.find("text/turtle") != std::string::npos) {
      if (request.body().empty()) {
        send_status(response, Status(StatusCode::kInvalidArgument, "the manifest body is empty",
                                     {{"field", "body"}}));
        return Route::Result::Ok;
      }
      register_request.set_manifest_turtle(request.body());
    } else if (type.find("application/json") != std::string::npos) {
      auto body = nlohmann::json::parse(request.body(), nullptr, false);
      if (body.is_discarded() || !body.is_object()) {
        send_status(response, Status(StatusCode::kInvalidArgument, "body is not a JSON object",
                                     {{"field", "body"}}));
        return Route::Result::Ok;
      }
      if (!body.contains("manifest_url") || !body["manifest_url"].is_string()) {
        send_status(response, Status(StatusCode::kInvalidArgument,
                                     "manifest_url: required, a string", {{"field", "manifest_url"}}));
        return Route::Result::Ok;
      }
      register_request.set_manifest_url(body["manifest_url"].get<std::string>());
    } else {
      send_problem(response, Code::Unsupported_Media_Type, "Unsupported Media Type",
                   "send application/json {\"manifest_url\": ...} or a text/turtle manifest");
      return Route::Result::Ok;
    }
    // Registration fetches the manifest: allow for the fetch timeout on top.
    provider_reply(response, call<v1::RegisterProviderReply>(bus, "register_provider",
                                                             register_request, timeout * 4));
    return Route::Result::Ok;
  });

  Get(router, "/v1/providers", [&bus, timeout](const Request&, ResponseWriter response) {
    auto reply = call<v1::ListProvidersReply>(bus, "list_providers", v1::ListProvidersRequest(), timeout);
    send_json_or_problem(response, reply, [](const auto& r) { return to_json(r); });
    return Route::Result::Ok;
  });

  Get(router, "/v1/providers/:id", [&bus, timeout](const Request& request, ResponseWriter response) {
    v1::ProviderRef ref;
    ref.set_id(request.param(":id").as<std::string>());
    auto reply = call<v1::GetProviderReply>(bus, "get_provider", ref, timeout);
    send_json_or_problem(response, reply, [](const auto& r) { return to_json(r.provider()); });
    return Route::Result::Ok;
  });

  Delete(router, "/v1/providers/:id", [&bus, timeout](const Request& request, ResponseWriter response) {
    v1::ProviderRef ref;
    ref.set_id(request.param(":id").as<std::string>());
    auto reply = call<v1::DeleteProviderReply>(bus, "delete_provider", ref, timeout);
    if (!reply) {
      send_status(response, reply.status());
    } else {
      response.send(Code::No_Content);
    }
    return Route::Result::Ok;
  });

  Post(router, "/v1/providers/:id/refresh", [&bus, timeout](const Request& request, ResponseWriter response) {
    v1::ProviderRef ref;
    ref.set_id(request.param(":id").as<std::string>());
    auto reply = call<v1::RefreshProviderReply>(bus, "refresh_provider", ref, timeout * 4);
    send_json_or_problem(response, reply, [](const auto& r) {
      nlohmann::json body = to_json(r.provider());
      body["outcome"] = r.outcome();
      return body;
    });
    return Route::Result::Ok;
  });

  Get(router, "/v1/offerings", [&bus, timeout](const Request& request, ResponseWriter response) {
    std::map<std::string, std::string> params;
    for (auto it = request.query().parameters_begin(); it != request.query().parameters_end(); ++it) {
      params[it->first] = it->second;
    }
    auto filter = parse_offering_query(params);
    if (!filter) {
      send_status(response, filter.status());
      return Route::Result::Ok;
    }
    auto reply = call<v1::ListOfferingsReply>(bus, "list_offerings", *filter, timeout);
    send_json_or_problem(response, reply, [](const auto& r) {
      nlohmann::json body = to_json(r);
      if (body["next_cursor"] == "") body["next_cursor"] = nullptr;
      return body;
    });
    return Route::Result::Ok;
  });

  Get(router, "/v1/offerings/:id", [&bus, timeout](const Request& request, ResponseWriter response) {
    v1::GetOfferingRequest get;
    auto id = percent_decode(request.param(":id").as<std::string>());
    if (!id) {
      send_status(response, Status(StatusCode::kInvalidArgument, "id: bad percent-encoding", {{"field", "id"}}));
      return Route::Result::Ok;
    }
    get.set_id(*id);
    bool turtle = accepts(request, "text/turtle");
    if (turtle) get.set_format("turtle");
    auto reply = call<v1::GetOfferingReply>(bus, "get_offering", get, timeout);
    if (!reply) {
      send_status(response, reply.status());
    } else if (turtle) {
      response.headers().add<Pistache::Http::Header::ContentType>(
          Pistache::Http::Mime::MediaType("text/turtle"));
      response.send(Code::Ok, reply->turtle());
    } else {
      send_json(response, Code::Ok, to_json(reply->offering()));
    }
    return Route::Result::Ok;
  });

  Get(router, "/v1/catalog", [&bus, timeout](const Request& request, ResponseWriter response) {
    bool ntriples = accepts(request, "application/n-triples");
    // Pages of the catalogue arrive over the bus one by one and leave as one chunked body, so
    // neither side ever holds the whole catalogue.
    v1::ExportCatalogRequest page_request;
    page_request.set_format(ntriples ? "ntriples" : "turtle");
    auto first = call<v1::ExportCatalogReply>(bus, "export_catalog", page_request, timeout * 4);
    if (!first) {
      send_status(response, first.status());
      return Route::Result::Ok;
    }
    response.headers().add<Pistache::Http::Header::ContentType>(
        Pistache::Http::Mime::MediaType(ntriples ? "application/n-triples" : "text/turtle"));
    auto stream = response.stream(Code::Ok);
    std::string header = "# MPLI federated catalogue (N-Triples lines, valid Turtle)\n";
    stream.write(header.data(), static_cast<std::streamsize>(header.size()));
    v1::ExportCatalogReply page = std::move(first).value();
    while (true) {
      stream.write(page.document().data(), static_cast<std::streamsize>(page.document().size()));
      stream.flush();
      if (page.next_cursor().empty()) break;
      page_request.set_cursor(page.next_cursor());
      auto next = call<v1::ExportCatalogReply>(bus, "export_catalog", page_request, timeout * 4);
      if (!next) {
        // Headers are gone already; a truncated body with a closing comment is all we can do.
        std::string note = "# export interrupted: " + next.status().message() + "\n";
        stream.write(note.data(), static_cast<std::streamsize>(note.size()));
        break;
      }
      page = std::move(next).value();
    }
    stream.ends();
    return Route::Result::Ok;
  });

  Get(router, "/.well-known/mpli-providers", [&bus, timeout](const Request&, ResponseWriter response) {
    auto reply = call<v1::ListProvidersReply>(bus, "well_known_providers", v1::ListProvidersRequest(), timeout);
    if (!reply) {
      send_status(response, reply.status());
      return Route::Result::Ok;
    }
    nlohmann::json providers = nlohmann::json::array();
    for (const auto& p : reply->providers()) {
      providers.push_back({{"id", p.id()}, {"name", p.name()}, {"country", p.country()},
                           {"manifest_url", p.manifest_url()}});
    }
    send_json(response, Code::Ok, {{"providers", providers}});
    return Route::Result::Ok;
  });
}

}  // namespace mpli::gateway
