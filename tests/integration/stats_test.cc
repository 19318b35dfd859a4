// Endpoint statistics of a real mpli-discovery: mpli.discovery.v1.stats counts exactly the
// requests the test made (with errors by code), and $SRV.STATS.discovery answers the same
// io.nats.micro.v1.stats_response document that NATS tooling reads.
#include <catch2/catch.hpp>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "libs/bus/call.h"
#include "libs/testing/environment.h"
#include "mpli/discovery/v1/discovery.pb.h"

using namespace mpli;
using namespace std::chrono_literals;
using nlohmann::json;
namespace v1 = mpli::discovery::v1;

namespace {

std::string read_example(const std::string& name) {
  std::ifstream in(std::string(MPLI_SOURCE_DIR) + "/ontology/examples/" + name);
  REQUIRE(in);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

json stats_from(bus::Connection& bus, const std::string& subject) {
  auto reply = bus.request(subject, "", 5s);
  REQUIRE(reply.is_ok());
  auto parsed = json::parse(reply->data, nullptr, false);
  REQUIRE(parsed.is_object());
  return parsed;
}

json endpoint_named(const json& stats, const std::string& name) {
  for (const auto& endpoint : stats.at("endpoints")) {
    if (endpoint.at("name") == name) return endpoint;
  }
  FAIL("no endpoint " << name << " in " << stats.dump());
  return json();
}

// The micro stats_response shape: the fields `nats micro stats` reads, with their types.
void check_shape(const json& stats) {
  CHECK(stats.at("type") == "io.nats.micro.v1.stats_response");
  CHECK(stats.at("name") == "discovery");
  CHECK(stats.at("id").is_string());
  CHECK(stats.at("version").is_string());
  CHECK(stats.at("started").is_string());
  REQUIRE(stats.at("endpoints").is_array());
  for (const auto& endpoint : stats.at("endpoints")) {
    CHECK(endpoint.at("name").is_string());
    CHECK(endpoint.at("subject") == "mpli.discovery.v1." + endpoint.at("name").get<std::string>());
    CHECK(endpoint.at("queue_group") == "discovery");
    CHECK(endpoint.at("num_requests").is_number_unsigned());
    CHECK(endpoint.at("num_errors").is_number_unsigned());
    CHECK(endpoint.at("last_error").is_string());
    CHECK(endpoint.at("processing_time").is_number_unsigned());
    CHECK(endpoint.at("average_processing_time").is_number_unsigned());
    CHECK(endpoint.at("data").at("errors_by_code").is_object());
    uint64_t in_histogram = 0;
    for (const auto& [bucket, count] : endpoint.at("data").at("latency_ms_histogram").items()) {
      in_histogram += count.get<uint64_t>();
    }
    CHECK(in_histogram == endpoint.at("num_requests").get<uint64_t>());
  }
}

}  // namespace

TEST_CASE("discovery's statistics count the requests made, with errors by code") {
  testing::TempDir dir;
  testing::TestNats nats(dir.path());
  testing::TestPostgres pg(dir.path());
  auto discovery = testing::start_binary(
      "mpli-discovery", {{"MPLI_NATS_URL", nats.url()}, {"MPLI_DATABASE_URL", pg.dsn()}},
      dir.path());
  bus::ConnectOptions options;
  options.url = nats.url();
  auto connected = bus::Connection::connect(options);
  REQUIRE(connected.is_ok());
  bus::Connection& bus = **connected;
  // Ready when statistics answer (endpoints are served by then); nothing counted yet.
  testing::wait_until([&] { return bus.request("mpli.discovery.v1.stats", "", 500ms).is_ok(); },
                      60s, "discovery serves statistics");

  v1::RegisterProviderRequest upload;
  upload.set_manifest_turtle(read_example("provider-hexacloud-fr.ttl"));
  auto registered =
      bus::call<v1::RegisterProviderReply>(bus, "mpli.discovery.v1.register_provider", upload, 30s);
  REQUIRE(registered.is_ok());
  std::string known = registered->provider().id();

  constexpr int kRequests = 7;
  constexpr int kUnknown = 3;
  for (int i = 0; i < kRequests; ++i) {
    v1::ProviderRef ref;
    ref.set_id(i < kUnknown ? "no-such-provider-" + std::to_string(i) : known);
    auto reply = bus::call<v1::GetProviderReply>(bus, "mpli.discovery.v1.get_provider", ref, 10s);
    CHECK(reply.is_ok() == (i >= kUnknown));
  }
  // A body that is not a ProviderRef: an error with code invalid_argument.
  auto malformed = bus.request("mpli.discovery.v1.get_provider",
                               std::string("\x0a\x05"
                                           "ab",
                                           4),
                               10s);
  CHECK(malformed.status().code() == StatusCode::kInvalidArgument);

  json stats = stats_from(bus, "mpli.discovery.v1.stats");
  check_shape(stats);
  json get_provider = endpoint_named(stats, "get_provider");
  INFO(get_provider.dump());
  CHECK(get_provider.at("num_requests") == kRequests + 1);
  CHECK(get_provider.at("num_errors") == kUnknown + 1);
  CHECK(get_provider.at("data").at("errors_by_code") ==
        json({{"not_found", kUnknown}, {"invalid_argument", 1}}));
  CHECK(get_provider.at("last_error").get<std::string>().rfind("invalid_argument", 0) == 0);
  json register_provider = endpoint_named(stats, "register_provider");
  CHECK(register_provider.at("num_requests") == 1);
  CHECK(register_provider.at("num_errors") == 0);
  CHECK(endpoint_named(stats, "list_offerings").at("num_requests") == 0);

  // The NATS micro subject answers the same document for this (only) instance.
  json micro = stats_from(bus, "$SRV.STATS.discovery");
  check_shape(micro);
  CHECK(micro.at("id") == stats.at("id"));
  json micro_get = endpoint_named(micro, "get_provider");
  CHECK(micro_get.at("num_requests") == get_provider.at("num_requests"));
  CHECK(micro_get.at("num_errors") == get_provider.at("num_errors"));
  CHECK(micro_get.at("data").at("errors_by_code") == get_provider.at("data").at("errors_by_code"));
}
