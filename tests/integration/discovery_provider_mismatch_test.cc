// A registration that names the provider it may register (expected_provider_id: at the
// gateway, the id in a provider's token) against the real mpli-discovery, over the bus: a
// manifest naming another provider, uploaded or fetched, is refused with PERMISSION_DENIED /
// PROVIDER_MISMATCH naming both ids, and leaves no row and no event behind.
#include <catch2/catch.hpp>
#include <mutex>
#include <pqxx/pqxx>
#include <tuple>

#include "libs/bus/call.h"
#include "libs/testing/environment.h"
#include "libs/testing/http_test_server.h"
#include "mpli/common/v1/envelope.pb.h"
#include "mpli/discovery/v1/discovery.pb.h"

using namespace mpli;
using namespace std::chrono_literals;
namespace v1 = mpli::discovery::v1;

namespace {

// NATS, PostgreSQL and mpli-discovery, spoken to over the bus.
class Discovery {
 public:
  Discovery() : nats_(dir_.path()), pg_(dir_.path()) {
    process_ = std::make_unique<process::ChildProcess>(
        testing::start_binary("mpli-discovery",
                              {{"MPLI_NATS_URL", nats_.url()},
                               {"MPLI_DATABASE_URL", pg_.dsn()},
                               {"MPLI_FETCH_ALLOW_HTTP", "true"},
                               {"MPLI_FETCH_ALLOW_LOOPBACK", "true"}},
                              dir_.path()));
    bus::ConnectOptions options;
    options.url = nats_.url();
    auto connection = bus::Connection::connect(options);
    REQUIRE(connection.is_ok());
    bus_ = std::move(connection).value();
    testing::wait_until(
        [&] {
          auto reply = bus_->request("mpli.discovery.v1.health", "", 500ms);
          common::v1::HealthReply health;
          return reply.is_ok() && health.ParseFromString(reply->data) && health.status() == "ok";
        },
        60s, "discovery is healthy");
  }

  Result<v1::RegisterProviderReply> register_provider(const v1::RegisterProviderRequest& request) {
    return bus::call<v1::RegisterProviderReply>(*bus_, "mpli.discovery.v1.register_provider",
                                                request, 30s);
  }
  Result<v1::RegisterProviderReply> upload(const std::string& turtle,
                                           const std::string& expected = "") {
    v1::RegisterProviderRequest request;
    request.set_manifest_turtle(turtle);
    request.set_expected_provider_id(expected);
    return register_provider(request);
  }
  Result<v1::RegisterProviderReply> register_url(const std::string& url,
                                                 const std::string& expected = "") {
    v1::RegisterProviderRequest request;
    request.set_manifest_url(url);
    request.set_expected_provider_id(expected);
    return register_provider(request);
  }
  Result<v1::GetProviderReply> get_provider(const std::string& id) {
    v1::ProviderRef ref;
    ref.set_id(id);
    return bus::call<v1::GetProviderReply>(*bus_, "mpli.discovery.v1.get_provider", ref, 10s);
  }

  // What the catalogue holds and what it has queued to publish: providers, manifest versions,
  // offerings, and the last outbox entry (every event goes through the outbox, in the same
  // transaction as the change it reports). A reply comes after its transaction, so reading
  // this after a reply sees everything that request did.
  using Footprint = std::tuple<long, long, long, long>;
  Footprint footprint() {
    pqxx::connection c(pg_.dsn());
    pqxx::nontransaction tx(c);
    auto row = tx.exec1(
        "SELECT (SELECT count(*) FROM discovery.providers), "
        "(SELECT count(*) FROM discovery.manifest_versions), "
        "(SELECT count(*) FROM discovery.offerings), "
        "(SELECT coalesce(max(seq), 0) FROM discovery.outbox)");
    return {row[0].as<long>(), row[1].as<long>(), row[2].as<long>(), row[3].as<long>()};
  }

 private:
  testing::TempDir dir_;
  testing::TestNats nats_;
  testing::TestPostgres pg_;
  std::unique_ptr<process::ChildProcess> process_;
  std::unique_ptr<bus::Connection> bus_;
};

void check_mismatch(const Status& status, const std::string& named, const std::string& expected) {
  INFO(status.to_string());
  CHECK(status.code() == StatusCode::kPermissionDenied);
  CHECK(status.detail("reason") == "PROVIDER_MISMATCH");
  CHECK(status.detail("domain") == "discovery");
  CHECK(status.detail("provider_id") == named);
  CHECK(status.detail("expected_provider_id") == expected);
  CHECK(status.message().find("'" + named + "'") != std::string::npos);
  CHECK(status.message().find("'" + expected + "'") != std::string::npos);
}

// A provider's web server serving one manifest.
struct Site {
  std::mutex mutex;
  std::string manifest;
  testing::HttpTestServer server{[this](const testing::HttpTestRequest& request) {
    std::lock_guard<std::mutex> lock(mutex);
    return testing::static_document(request, manifest);
  }};
  std::string url() const { return server.url("/.well-known/mpli.ttl"); }
};

}  // namespace

TEST_CASE("an upload naming another provider than expected is refused and leaves no trace") {
  Discovery discovery;
  const std::string hexacloud = testing::read_example("provider-hexacloud-fr.ttl");
  auto before = discovery.footprint();

  auto refused = discovery.upload(hexacloud, "nordwolke");
  REQUIRE_FALSE(refused.is_ok());
  check_mismatch(refused.status(), "hexacloud", "nordwolke");
  CHECK(discovery.footprint() == before);
  auto unknown = discovery.get_provider("hexacloud");
  REQUIRE_FALSE(unknown.is_ok());
  CHECK(unknown.status().detail("reason") == "PROVIDER_NOT_FOUND");

  // The same manifest with the id it names, or with no expectation, registers.
  auto own = discovery.upload(hexacloud, "hexacloud");
  INFO(own.status().to_string());
  REQUIRE(own.is_ok());
  CHECK(own->created());
  CHECK(own->provider().id() == "hexacloud");
  auto registered = discovery.footprint();
  CHECK(std::get<0>(registered) == std::get<0>(before) + 1);
  CHECK(std::get<3>(registered) > std::get<3>(before));  // its events were queued

  // A new version of a known provider, sent by someone expecting another: refused, and the
  // served version stays.
  std::string changed = hexacloud;
  changed.replace(changed.find("690.00"), 6, "700.00");
  auto again = discovery.upload(changed, "nordwolke");
  REQUIRE_FALSE(again.is_ok());
  check_mismatch(again.status(), "hexacloud", "nordwolke");
  CHECK(discovery.footprint() == registered);
  auto served = discovery.get_provider("hexacloud");
  REQUIRE(served.is_ok());
  CHECK(served->provider().current_version() == own->provider().current_version());

  auto anyone = discovery.upload(changed);
  INFO(anyone.status().to_string());
  REQUIRE(anyone.is_ok());
  CHECK_FALSE(anyone->created());
  CHECK(anyone->provider().current_version() != own->provider().current_version());
}

TEST_CASE("a manifest URL naming another provider than expected is refused, new or known") {
  Discovery discovery;
  Site site;
  site.manifest = testing::read_example("provider-hexacloud-fr.ttl");
  auto before = discovery.footprint();

  // A URL the hub does not know: fetched, read, refused; the URL is not remembered.
  auto refused = discovery.register_url(site.url(), "nordwolke");
  REQUIRE_FALSE(refused.is_ok());
  check_mismatch(refused.status(), "hexacloud", "nordwolke");
  CHECK(discovery.footprint() == before);

  auto registered = discovery.register_url(site.url());
  INFO(registered.status().to_string());
  REQUIRE(registered.is_ok());
  CHECK(registered->created());
  auto after_registration = discovery.footprint();

  // A URL the hub knows for hexacloud: a caller expecting nordwolke does not get to refresh
  // it, even with a new version waiting on the site.
  {
    std::lock_guard<std::mutex> lock(site.mutex);
    site.manifest.replace(site.manifest.find("690.00"), 6, "700.00");
  }
  int fetches = site.server.requests();
  auto known = discovery.register_url(site.url(), "nordwolke");
  REQUIRE_FALSE(known.is_ok());
  check_mismatch(known.status(), "hexacloud", "nordwolke");
  CHECK(discovery.footprint() == after_registration);
  CHECK(site.server.requests() == fetches);  // refused before any fetch

  // Its own provider may.
  auto own = discovery.register_url(site.url(), "hexacloud");
  INFO(own.status().to_string());
  REQUIRE(own.is_ok());
  CHECK_FALSE(own->created());
  CHECK(own->provider().current_version() != registered->provider().current_version());
}
