// Discovery's limits and typed errors against the real binary, over the bus (no gateway):
// replies paged by bytes, absurd manifests refused at the door, one byte limit for uploads and
// URLs, bounded version history, authenticated cursors, monthly max_price, and an ErrorReason
// on every refusal.
#include <catch2/catch.hpp>
#include <fstream>
#include <mutex>
#include <pqxx/pqxx>
#include <set>
#include <sstream>

#include "libs/bus/call.h"
#include "libs/rdf/parser.h"
#include "libs/testing/environment.h"
#include "libs/testing/http_test_server.h"
#include "mpli/common/v1/envelope.pb.h"
#include "mpli/discovery/v1/discovery.pb.h"

using namespace mpli;
using namespace std::chrono_literals;
namespace v1 = mpli::discovery::v1;

namespace {

std::string read_example(const std::string& name) {
  std::ifstream in(std::string(MPLI_SOURCE_DIR) + "/ontology/examples/" + name);
  REQUIRE(in);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string replace_first(std::string text, const std::string& from, const std::string& to) {
  auto at = text.find(from);
  REQUIRE(at != std::string::npos);
  return text.replace(at, from.size(), to);
}

const std::vector<std::string> kExamples = {
    "provider-hexacloud-fr.ttl", "provider-nordwolke-de.ttl", "provider-polderstack-nl.ttl"};

using Env = std::map<std::string, std::string>;

// NATS, PostgreSQL and mpli-discovery, spoken to over the bus.
class Discovery {
 public:
  explicit Discovery(const Env& settings = {}) : nats_(dir_.path()), pg_(dir_.path()) {
    Env env = {{"MPLI_NATS_URL", nats_.url()},
               {"MPLI_DATABASE_URL", pg_.dsn()},
               {"MPLI_FETCH_ALLOW_HTTP", "true"},
               {"MPLI_FETCH_ALLOW_LOOPBACK", "true"}};
    for (const auto& [key, value] : settings) env[key] = value;
    process_ = std::make_unique<process::ChildProcess>(
        testing::start_binary("mpli-discovery", env, dir_.path()));
    bus::ConnectOptions options;
    options.url = nats_.url();
    auto connection = bus::Connection::connect(options);
    REQUIRE(connection.is_ok());
    bus_ = std::move(connection).value();
    testing::wait_until([&] { return healthy(); }, 60s, "discovery is healthy");
  }

  template <typename Reply>
  Result<Reply> call(const std::string& operation, const google::protobuf::Message& request) {
    return bus::call<Reply>(*bus_, "mpli.discovery.v1." + operation, request, 30s);
  }

  Result<v1::RegisterProviderReply> upload(const std::string& turtle) {
    v1::RegisterProviderRequest request;
    request.set_manifest_turtle(turtle);
    return call<v1::RegisterProviderReply>("register_provider", request);
  }
  Result<v1::RegisterProviderReply> register_url(const std::string& url) {
    v1::RegisterProviderRequest request;
    request.set_manifest_url(url);
    return call<v1::RegisterProviderReply>("register_provider", request);
  }
  Result<v1::RefreshProviderReply> refresh(const std::string& id) {
    v1::ProviderRef ref;
    ref.set_id(id);
    return call<v1::RefreshProviderReply>("refresh_provider", ref);
  }
  Result<v1::ListOfferingsReply> offerings(v1::OfferingFilter filter) {
    return call<v1::ListOfferingsReply>("list_offerings", filter);
  }

  long scalar(const std::string& sql) {
    pqxx::connection c(pg_.dsn());
    pqxx::nontransaction tx(c);
    return tx.exec1(sql)[0].as<long>();
  }
  std::string text(const std::string& sql) {
    pqxx::connection c(pg_.dsn());
    pqxx::nontransaction tx(c);
    return tx.exec1(sql)[0].as<std::string>();
  }

 private:
  bool healthy() {
    auto reply = bus_->request("mpli.discovery.v1.health", "", 500ms);
    if (!reply) return false;
    common::v1::HealthReply health;
    return health.ParseFromString(reply->data) && health.status() == "ok";
  }

  testing::TempDir dir_;
  testing::TestNats nats_;
  testing::TestPostgres pg_;
  std::unique_ptr<process::ChildProcess> process_;
  std::unique_ptr<bus::Connection> bus_;
};

// A provider's web server serving whatever the test puts there.
struct ProviderSite {
  std::mutex mutex;
  std::string manifest;
  testing::HttpTestServer server{[this](const testing::HttpTestRequest& request) {
    std::lock_guard<std::mutex> lock(mutex);
    return testing::static_document(request, manifest);
  }};
  void serve(std::string text) {
    std::lock_guard<std::mutex> lock(mutex);
    manifest = std::move(text);
  }
  std::string url() { return server.url("/.well-known/mpli.ttl"); }
};

void check_refused(const Status& status, StatusCode code, const std::string& reason) {
  INFO(status.to_string());
  CHECK(status.code() == code);
  CHECK(status.detail("reason") == reason);
  CHECK(status.detail("domain") == "discovery");
}

}  // namespace

TEST_CASE("offering lists and catalogue pages are cut at the page byte budget") {
  const size_t budget = 2048;
  Discovery discovery(Env{{"MPLI_CATALOGUE_PAGE_BYTES", std::to_string(budget)}});
  for (const auto& name : kExamples) REQUIRE(discovery.upload(read_example(name)).is_ok());
  long total = discovery.scalar("SELECT count(*) FROM discovery.offerings");
  REQUIRE(total >= 9);

  // Far more than a page's worth by count: the bytes end each page, and every offering is
  // still visited exactly once.
  std::set<std::string> seen;
  v1::OfferingFilter filter;
  filter.set_limit(500);
  int pages = 0;
  do {
    auto page = discovery.offerings(filter);
    REQUIRE(page.is_ok());
    CHECK(page->ByteSizeLong() <= budget);
    REQUIRE(page->offerings_size() > 0);
    for (const auto& o : page->offerings()) CHECK(seen.insert(o.id()).second);
    filter.set_cursor(page->next_cursor());
    ++pages;
  } while (!filter.cursor().empty() && pages < 100);
  CHECK(pages > 1);
  CHECK(static_cast<long>(seen.size()) == total);

  // The export: each page within the budget (whole lines), documents split across pages, and
  // all pages together exactly the served documents in provider order.
  std::string expected = discovery.text(
      "SELECT string_agg(v.ntriples, '' ORDER BY p.id) FROM discovery.providers p "
      "JOIN discovery.manifest_versions v ON v.id = p.current_version");
  std::string exported;
  v1::ExportCatalogRequest request;
  pages = 0;
  do {
    auto page = discovery.call<v1::ExportCatalogReply>("export_catalog", request);
    REQUIRE(page.is_ok());
    const std::string& document = page->document();
    bool one_line = document.find('\n') == document.size() - 1;
    CHECK((document.size() <= budget || one_line));
    CHECK((document.empty() || document.back() == '\n'));
    exported += document;
    request.set_cursor(page->next_cursor());
    ++pages;
  } while (!request.cursor().empty() && pages < 10000);
  CHECK(pages > static_cast<int>(expected.size() / budget));
  CHECK(exported == expected);
  rdf::Graph graph;
  CHECK(rdf::parse_string(exported, "catalog", graph, {rdf::Syntax::kNTriples, "", true}).is_ok());
}

TEST_CASE("an export reads on past the providers one read holds until its page is full") {
  Discovery discovery;
  std::string hexacloud = read_example("provider-hexacloud-fr.ttl");
  for (int i = 0; i < 11; ++i) {  // more than one read of eight documents
    std::string copy = hexacloud;
    for (size_t at = copy.find("hexacloud"); at != std::string::npos;
         at = copy.find("hexacloud", at + 1)) {
      copy.replace(at, 9, "hexacloud" + std::to_string(i));
    }
    auto uploaded = discovery.upload(copy);
    INFO(uploaded.status().to_string());
    REQUIRE(uploaded.is_ok());
  }
  std::string expected = discovery.text(
      "SELECT string_agg(v.ntriples, '' ORDER BY p.id) FROM discovery.providers p "
      "JOIN discovery.manifest_versions v ON v.id = p.current_version");
  std::string exported;
  v1::ExportCatalogRequest request;
  int pages = 0;
  do {
    auto page = discovery.call<v1::ExportCatalogReply>("export_catalog", request);
    REQUIRE(page.is_ok());
    CHECK(page->document().size() <= 256 * 1024);
    exported += page->document();
    request.set_cursor(page->next_cursor());
    ++pages;
  } while (!request.cursor().empty() && pages < 100);
  CHECK(exported == expected);
  CHECK(pages <= static_cast<int>(expected.size() / (256 * 1024)) + 2);  // pages are filled
}

TEST_CASE("absurd names, literals and triple counts are refused at the door") {
  Discovery discovery(Env{{"MPLI_MANIFEST_MAX_TRIPLES", "1000"}});
  std::string nordwolke = read_example("provider-nordwolke-de.ttl");

  // A multi-megabyte offering name would ride in every list reply that holds the offering.
  auto rename = [&](size_t length) {
    return discovery.upload(replace_first(nordwolke,
                                          "schema:name \"Nordwolke Managed PostgreSQL M\"",
                                          "schema:name \"" + std::string(length, 'n') + "\""));
  };
  auto huge_name = rename(3 * 1024 * 1024);
  REQUIRE_FALSE(huge_name.is_ok());
  check_refused(huge_name.status(), StatusCode::kTooLarge, "MANIFEST_TOO_LARGE");
  auto long_name = rename(201);
  REQUIRE_FALSE(long_name.is_ok());
  check_refused(long_name.status(), StatusCode::kInvalidArgument, "MANIFEST_SHAPE");
  REQUIRE_FALSE(long_name.status().violations().empty());
  CHECK(long_name.status().violations()[0].message.find("200 characters") != std::string::npos);

  // A literal no shape looks at.
  auto long_literal = discovery.upload(nordwolke + "\n<#note> <https://example.org/says> \"" +
                                       std::string(2 * 1024 * 1024, 'x') + "\" .\n");
  REQUIRE_FALSE(long_literal.is_ok());
  check_refused(long_literal.status(), StatusCode::kTooLarge, "MANIFEST_TOO_LARGE");

  std::string many = nordwolke;
  for (int i = 0; i < 1000; ++i)
    many += "<#n" + std::to_string(i) + "> <https://example.org/n> 1 .\n";
  auto too_many = discovery.upload(many);
  REQUIRE_FALSE(too_many.is_ok());
  check_refused(too_many.status(), StatusCode::kTooLarge, "MANIFEST_TOO_LARGE");
  CHECK(too_many.status().message().find("manifest.max_triples") != std::string::npos);

  CHECK(discovery.scalar("SELECT count(*) FROM discovery.offerings") == 0);
  CHECK(discovery.upload(nordwolke).is_ok());
}

TEST_CASE("one byte limit holds for uploaded and fetched manifests") {
  Discovery discovery(Env{{"MPLI_MANIFEST_MAX_BYTES", "65536"}});
  std::string oversized =
      read_example("provider-nordwolke-de.ttl") + "\n# " + std::string(70000, 'x') + "\n";
  auto uploaded = discovery.upload(oversized);
  REQUIRE_FALSE(uploaded.is_ok());
  check_refused(uploaded.status(), StatusCode::kTooLarge, "MANIFEST_TOO_LARGE");

  ProviderSite site;
  site.serve(oversized);
  auto fetched = discovery.register_url(site.url());
  REQUIRE_FALSE(fetched.is_ok());
  check_refused(fetched.status(), StatusCode::kTooLarge, "MANIFEST_TOO_LARGE");
  CHECK(discovery.scalar("SELECT count(*) FROM discovery.providers") == 0);
}

TEST_CASE("a provider keeps at most ten versions, and a repeated broken body is stored once") {
  Discovery discovery;
  ProviderSite site;
  std::string good = read_example("provider-hexacloud-fr.ttl");
  site.serve(good);
  auto registered = discovery.register_url(site.url());
  REQUIRE(registered.is_ok());
  std::string id = registered->provider().id();

  for (int i = 0; i < 12; ++i) {
    site.serve(good + "\n<#broken-" + std::to_string(i) + "> mpli:vcpu \"unterminated .\n");
    auto refreshed = discovery.refresh(id);
    REQUIRE_FALSE(refreshed.is_ok());
    check_refused(refreshed.status(), StatusCode::kInvalidArgument, "MANIFEST_SYNTAX");
  }
  CHECK(discovery.scalar("SELECT count(*) FROM discovery.manifest_versions") == 10);
  // The served version is the oldest, and it stays.
  CHECK(discovery.scalar("SELECT count(*) FROM discovery.manifest_versions v JOIN "
                         "discovery.providers p ON p.current_version = v.id") == 1);

  long rejections = discovery.scalar(
      "SELECT count(*) FROM discovery.outbox WHERE subject LIKE '%.manifest_rejected'");
  long newest = discovery.scalar("SELECT max(id) FROM discovery.manifest_versions");
  REQUIRE_FALSE(discovery.refresh(id).is_ok());  // the last broken body once more
  CHECK(discovery.scalar("SELECT max(id) FROM discovery.manifest_versions") == newest);
  CHECK(discovery.scalar("SELECT count(*) FROM discovery.outbox WHERE subject LIKE "
                         "'%.manifest_rejected'") == rejections);
  CHECK(discovery.scalar("SELECT consecutive_failures FROM discovery.providers") == 13);
  CHECK(discovery.scalar("SELECT count(*) FROM discovery.offerings") > 0);  // still served
}

TEST_CASE(
    "cursors are opaque and authenticated, and a bad one is BAD_CURSOR, not a database error") {
  Discovery discovery;
  for (const auto& name : kExamples) REQUIRE(discovery.upload(read_example(name)).is_ok());

  v1::OfferingFilter filter;
  filter.set_limit(2);
  auto first = discovery.offerings(filter);
  REQUIRE(first.is_ok());
  std::string cursor = first->next_cursor();
  REQUIRE_FALSE(cursor.empty());
  CHECK(cursor.find("https") == std::string::npos);

  std::string tampered = cursor;
  tampered[1] = tampered[1] == 'A' ? 'B' : 'A';
  v1::ListProvidersRequest providers_request;
  providers_request.set_limit(1);
  auto providers_page = discovery.call<v1::ListProvidersReply>("list_providers", providers_request);
  REQUIRE(providers_page.is_ok());
  for (const std::string& bad : {std::string("ffff"), tampered, providers_page->next_cursor()}) {
    INFO(bad);
    filter.set_cursor(bad);
    auto refused = discovery.offerings(filter);
    REQUIRE_FALSE(refused.is_ok());
    check_refused(refused.status(), StatusCode::kInvalidArgument, "BAD_CURSOR");
    CHECK(refused.status().detail("field") == "cursor");
    CHECK(refused.status().message().find("database") == std::string::npos);
  }

  // Providers are paged like offerings.
  std::set<std::string> seen;
  int pages = 0;
  v1::ListProvidersRequest request;
  request.set_limit(1);
  do {
    auto page = discovery.call<v1::ListProvidersReply>("list_providers", request);
    REQUIRE(page.is_ok());
    CHECK(page->providers_size() <= 1);
    for (const auto& p : page->providers()) CHECK(seen.insert(p.id()).second);
    request.set_cursor(page->next_cursor());
    ++pages;
  } while (!request.cursor().empty() && pages < 10);
  CHECK(seen.size() == kExamples.size());
  request.set_cursor("ffff");
  auto refused = discovery.call<v1::ListProvidersReply>("list_providers", request);
  REQUIRE_FALSE(refused.is_ok());
  check_refused(refused.status(), StatusCode::kInvalidArgument, "BAD_CURSOR");
}

TEST_CASE("max_price is a monthly price: hourly offerings count 730 hours") {
  Discovery discovery;
  REQUIRE(discovery.upload(read_example("provider-nordwolke-de.ttl")).is_ok());
  auto hourly_ids = [&](double max_price) {
    v1::OfferingFilter filter;
    filter.set_max_price(max_price);
    filter.set_has_max_price(true);
    auto page = discovery.offerings(filter);
    REQUIRE(page.is_ok());
    std::vector<v1::Offering> hourly;
    for (const auto& o : page->offerings()) {
      CHECK(o.has_monthly_price());
      CHECK(o.monthly_price() <= max_price);
      if (o.price_unit() == "HUR") hourly.push_back(o);
    }
    return hourly;
  };
  CHECK(hourly_ids(1).empty());  // 0.129 EUR/h is 94.17 EUR a month, not under 1
  auto under_100 = hourly_ids(100);
  REQUIRE(under_100.size() == 1);
  CHECK(under_100[0].price_amount() == Approx(0.129));
  CHECK(under_100[0].monthly_price() == Approx(94.17));
}

TEST_CASE("every refusal carries its ErrorReason") {
  Discovery discovery(Env{{"MPLI_FETCH_ALLOW_HTTP", "false"}});
  auto http = discovery.register_url("http://127.0.0.1:9/.well-known/mpli.ttl");
  REQUIRE_FALSE(http.is_ok());
  check_refused(http.status(), StatusCode::kInvalidArgument, "SCHEME_REFUSED");
  CHECK(http.status().detail("field") == "manifest_url");
  CHECK(http.status().message().find("fetch.allow_http") != std::string::npos);

  auto syntax = discovery.upload("@prefix x: <urn:x#> .\nx:a x:b \"open .\n");
  REQUIRE_FALSE(syntax.is_ok());
  check_refused(syntax.status(), StatusCode::kInvalidArgument, "MANIFEST_SYNTAX");
  CHECK(syntax.status().detail("line") == "2");

  std::string nordwolke = read_example("provider-nordwolke-de.ttl");
  auto shape = discovery.upload(replace_first(nordwolke, "mpli:providerId \"nordwolke\" ;", ""));
  REQUIRE_FALSE(shape.is_ok());
  check_refused(shape.status(), StatusCode::kInvalidArgument, "MANIFEST_SHAPE");

  auto content = discovery.upload("<urn:x> <urn:y> <urn:z> .\n");
  REQUIRE_FALSE(content.is_ok());
  check_refused(content.status(), StatusCode::kInvalidArgument, "MANIFEST_CONTENT");

  REQUIRE(discovery.upload(nordwolke).is_ok());
  // Another provider publishing one of Nordwolke's offering IRIs.
  std::string copycat =
      replace_first(nordwolke, "mpli:providerId \"nordwolke\"", "mpli:providerId \"copycat\"");
  auto taken = discovery.upload(copycat);
  REQUIRE_FALSE(taken.is_ok());
  check_refused(taken.status(), StatusCode::kConflict, "OFFERING_TAKEN");

  v1::ProviderRef unknown;
  unknown.set_id("nobody");
  auto missing = discovery.call<v1::GetProviderReply>("get_provider", unknown);
  REQUIRE_FALSE(missing.is_ok());
  check_refused(missing.status(), StatusCode::kNotFound, "PROVIDER_NOT_FOUND");

  v1::OfferingFilter filter;
  filter.set_limit(501);
  auto too_many = discovery.offerings(filter);
  REQUIRE_FALSE(too_many.is_ok());
  check_refused(too_many.status(), StatusCode::kInvalidArgument, "BAD_FILTER");
  CHECK(too_many.status().detail("field") == "limit");
}
